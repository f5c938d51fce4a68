import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import { jobQueue, QueueName, type AnyJob } from './job-contract.js';

export type JobToEnqueue = AnyJob & {
  jobId: string;
  /**
   * When the job came into being (ms since epoch; BullMQ's job timestamp). For
   * an event's job: when its transaction committed, so "created" on the board
   * and commit-to-start latency count from the commit. Default: now.
   */
  timestamp?: number;
};

export class EnqueueTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not acknowledge the jobs within ${timeoutMs} ms`);
    this.name = 'EnqueueTimeoutError';
  }
}

/**
 * The one way to put jobs into Redis. Jobs are added in bulk per queue; the
 * promise resolves only once Redis has acknowledged every job, and rejects
 * after JOB_ENQUEUE_TIMEOUT_MS (BullMQ itself would wait for Redis forever).
 * A late acknowledgement after a timeout is harmless: job ids are derived,
 * so the relay's later attempt adds nothing.
 */
@Injectable()
export class JobProducer implements OnModuleInit {
  private readonly logger = new Logger(JobProducer.name);
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly config: HeraldConfig,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    // Attach the error listeners before the first connection attempt can fail.
    for (const name of Object.values(QueueName)) this.queue(name);
    const queues = () => [...this.queues.entries()];
    this.metrics.gauge({
      name: 'herald_queue_jobs',
      help: 'Jobs per queue and state (read from Redis at scrape time)',
      labelNames: ['queue', 'state'],
      async collect() {
        this.reset();
        for (const [name, queue] of queues()) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
          for (const [state, count] of Object.entries(counts)) this.set({ queue: name, state }, count);
        }
      },
    });
  }

  async enqueue(jobs: readonly JobToEnqueue[]): Promise<void> {
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

  private async addAll(jobs: readonly JobToEnqueue[]): Promise<void> {
    const byQueue = new Map<QueueName, JobToEnqueue[]>();
    for (const job of jobs) {
      const queue = jobQueue[job.name];
      const queueJobs = byQueue.get(queue);
      if (queueJobs) queueJobs.push(job);
      else byQueue.set(queue, [job]);
    }
    await Promise.all(
      [...byQueue].map(([queueName, queueJobs]) =>
        this.queue(queueName).addBulk(
          queueJobs.map((job) => ({
            name: job.name,
            data: job.data,
            opts: { jobId: job.jobId, ...(job.timestamp ? { timestamp: job.timestamp } : {}) },
          })),
        ),
      ),
    );
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
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
}
