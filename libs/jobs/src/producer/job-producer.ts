import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { HeraldConfig } from '@herald/config';
import type { JobSink, JobTarget, SinkJob } from '@herald/events';
import { isJobDefinition } from '../definition/job-definition.js';
import { bullConnection } from '../redis/redis-connection.js';
import { JobRegistryExplorer } from '../registry/job-registry-explorer.js';
import { defaultJobOptions } from './job-options.js';
import { traceMetadata } from './trace-metadata.js';

export class EnqueueTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not acknowledge the jobs within ${timeoutMs} ms`);
    this.name = 'EnqueueTimeoutError';
  }
}

/**
 * The one way to put jobs into Redis: the events platform's JobSink. Jobs are
 * added in bulk per queue; `enqueue` resolves only once Redis has acknowledged
 * every job, and rejects after JOB_ENQUEUE_TIMEOUT_MS (BullMQ itself would wait
 * for Redis forever). A late acknowledgement after a timeout is harmless: job
 * ids are derived, so the relay's later attempt adds nothing.
 *
 * Its connections fail fast while Redis is down (no offline queue): the event
 * then simply stays in the outbox and the relay delivers it later.
 */
@Injectable()
export class JobProducer implements JobSink, OnApplicationShutdown {
  private readonly logger = new Logger(JobProducer.name);
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly config: HeraldConfig,
    private readonly explorer: JobRegistryExplorer,
  ) {}

  async enqueue(jobs: readonly SinkJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const timeoutMs = this.config.jobs.enqueueTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // unref: a pending enqueue must not keep a stopping process alive.
      timer = setTimeout(() => reject(new EnqueueTimeoutError(timeoutMs)), timeoutMs).unref();
    });
    try {
      await Promise.race([this.addAll(jobs), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async exists(target: JobTarget, jobId: string): Promise<boolean> {
    return (await this.queue(target.queue.name).getJob(jobId)) !== undefined;
  }

  /**
   * A read in the queues' own hash slot over a producer connection: Redis as the
   * queues see it. Not PING: on a Redis Cluster any master answers PING, also
   * while the one serving the QUEUE_PREFIX slot is down and no job can be added.
   */
  async ping(): Promise<void> {
    // Any queue's connection will do; a queue object writes nothing to Redis until it is used.
    const client = await this.queue(this.explorer.registry.queueNames[0] ?? 'herald-health').getBackend().client;
    const answer: unknown = await client.runCommand('exists', [`${this.config.redis.queuePrefix}:health`]);
    if (typeof answer !== 'number') throw new Error(`unexpected EXISTS answer: ${String(answer)}`);
  }

  /** The BullMQ queue of that name (one connection each, opened on first use). */
  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: bullConnection(this.config.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
        prefix: this.config.redis.queuePrefix,
        defaultJobOptions: defaultJobOptions(this.config),
      });
      let reported = false;
      // Without a listener, connection errors would be printed unstructured on every retry.
      queue.on('error', (error) => {
        if (!reported) this.logger.warn({ msg: 'queue connection error', queue: name, err: error });
        reported = true;
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }

  private async addAll(jobs: readonly SinkJob[]): Promise<void> {
    const byQueue = new Map<string, SinkJob[]>();
    for (const job of jobs) {
      const queueJobs = byQueue.get(job.target.queue.name);
      if (queueJobs) queueJobs.push(job);
      else byQueue.set(job.target.queue.name, [job]);
    }
    await Promise.all(
      [...byQueue].map(([queueName, queueJobs]) =>
        this.queue(queueName).addBulk(
          queueJobs.map((job) => ({
            name: job.target.name,
            data: job.data,
            opts: {
              ...(isJobDefinition(job.target) ? job.target.options : {}),
              jobId: job.jobId,
              timestamp: job.timestamp,
              // BullMQ's own carrier for a job's trace context (stored with the job, outside its data).
              ...(job.traceparent ? { telemetry: { metadata: traceMetadata(job.traceparent) } } : {}),
            },
          })),
        ),
      ),
    );
  }
}
