import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { RateLimitError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { HeraldConfig } from '@herald/config';
import { isDatabaseUnavailable } from '@herald/database';
import {
  assertEveryJobHasOneHandler,
  bullConnection,
  jobContext,
  JobProducer,
  parseJob,
  QueueName,
  type JobHandler,
  type QueueProcessor,
} from '@herald/jobs';
import { Correlation, LATENCY_BUCKETS, Metrics } from '@herald/observability';

export const QUEUE_PROCESSORS = Symbol('QUEUE_PROCESSORS');

/** How long a queue pauses when a job found Postgres unavailable (then it tries again). */
export const DATABASE_UNAVAILABLE_PAUSE_MS = 1000;

/**
 * How often a worker looks for jobs whose worker died. BullMQ moves such a job
 * back to waiting at the first check after its lock expired at which the job
 * was already marked as a suspect by the check before; with checks every
 * quarter lock, a dead worker's jobs run again at most ~1.25 lock durations
 * (lock at most ~1.0 after its last renewal, plus one interval) after it died.
 * A check is one small Lua script per queue; a shorter lock, not a shorter
 * interval, is what buys faster recovery (runbooks/job-queue.md).
 */
export function stalledCheckInterval(lockDurationMs: number): number {
  return Math.max(250, Math.round(lockDurationMs / 4));
}

/**
 * Runs one BullMQ Worker per queue processor. Job data is validated before a
 * handler sees it; invalid data fails the job at once (no retries) with the
 * reason. Shutdown waits for active jobs to finish.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly workers: Worker[] = [];
  private readonly processed;
  private readonly duration;
  private readonly stalled;

  constructor(
    @Inject(QUEUE_PROCESSORS) private readonly processors: QueueProcessor[],
    private readonly config: HeraldConfig,
    private readonly producer: JobProducer,
    metrics: Metrics,
  ) {
    assertEveryJobHasOneHandler(processors);
    this.processed = metrics.counter({
      name: 'herald_jobs_processed_total',
      help: 'Jobs processed by this worker, by outcome (completed, failed, invalid, deferred: put back while Postgres was unavailable)',
      labelNames: ['queue', 'name', 'outcome'],
    });
    this.duration = metrics.histogram({
      name: 'herald_job_duration_seconds',
      help: 'Time a handler took',
      labelNames: ['queue', 'name'],
      buckets: LATENCY_BUCKETS,
    });
    this.stalled = metrics.counter({
      name: 'herald_jobs_stalled_total',
      help: 'Jobs found stalled (their worker died)',
      labelNames: ['queue'],
    });
  }

  onApplicationBootstrap(): void {
    for (const processor of this.processors) {
      const worker = new Worker(processor.queue, (job: Job) => this.process(processor, job), {
        // Workers block on Redis: they must never give up on a command (BullMQ requirement).
        connection: bullConnection(this.config.redis, { maxRetriesPerRequest: null }),
        prefix: this.config.redis.queuePrefix,
        concurrency: this.config.worker.concurrency,
        lockDuration: this.config.worker.lockDurationMs,
        stalledInterval: stalledCheckInterval(this.config.worker.lockDurationMs),
        autorun: true,
        // SMTP providers limit sends per second; BullMQ's limiter holds the rest back (per worker process).
        ...(processor.queue === QueueName.Email && this.config.worker.emailRateLimitPerSecond > 0
          ? { limiter: { max: this.config.worker.emailRateLimitPerSecond, duration: 1000 } }
          : {}),
      });
      worker.on('error', (error) => this.logger.warn({ msg: 'worker connection error', queue: processor.queue, err: error }));
      worker.on('stalled', (jobId) => {
        this.stalled.inc({ queue: processor.queue });
        this.logger.warn({ msg: 'job stalled; it will run again', queue: processor.queue, jobId });
      });
      this.workers.push(worker);
    }
    this.logger.log({
      msg: 'queue workers started',
      queues: this.processors.map((p) => p.queue),
      concurrency: this.config.worker.concurrency,
    });
  }

  /** Stops taking jobs and waits for the active ones (SIGTERM path). */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    this.logger.log({ msg: 'queue workers stopped' });
  }

  /**
   * Readiness of every worker: its loop runs and both its connections (the
   * command one and the blocking one that waits for jobs) are 'ready'. A
   * worker left stuck after a long Redis outage (bullmq#4585) shows here as
   * down, so orchestration can restart it.
   */
  async connectionsReady(timeoutMs = 1000): Promise<Record<string, string>> {
    const within = <T>(promise: Promise<T> | undefined) =>
      Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref())]);
    const states: Record<string, string> = {};
    for (const worker of this.workers) {
      const backend = worker.getBackend();
      const [client, blocking] = await Promise.all([within(backend.client), within(backend.blockingClient)]);
      const problems = [
        ...(worker.isRunning() ? [] : ['not running']),
        ...(client?.status === 'ready' ? [] : [`connection ${client?.status ?? 'not ready'}`]),
        ...(blocking?.status === 'ready' ? [] : [`blocking connection ${blocking?.status ?? 'not ready'}`]),
      ];
      states[worker.name] = problems.length ? problems.join(', ') : 'ready';
    }
    return states;
  }

  private async process(processor: QueueProcessor, job: Job): Promise<unknown> {
    const started = performance.now();
    const base = { queue: processor.queue, jobName: job.name, jobId: job.id, attempt: job.attemptsMade + 1 };
    let parsed;
    try {
      parsed = parseJob(job.name, job.data);
    } catch (error) {
      this.processed.inc({ queue: processor.queue, name: job.name.slice(0, 64), outcome: 'invalid' });
      this.logger.error({ msg: 'job rejected: invalid payload', ...base, outcome: 'invalid', err: error });
      throw new UnrecoverableError((error as Error).message);
    }
    const handler = (processor.handlers as Record<string, JobHandler<typeof parsed.name> | undefined>)[parsed.name];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue "${processor.queue}"`);

    return Correlation.run({ correlationId: parsed.data.correlationId, causationId: parsed.data.eventId }, async () => {
      try {
        const result = await handler(parsed.data, jobContext(job));
        this.record(processor.queue, job.name, 'completed', started);
        this.logger.log({ msg: 'job done', ...base, outcome: result ?? 'ok', durationMs: Math.round(performance.now() - started) });
        return result;
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          // Postgres is away (a restart, a failover): waiting costs nothing, failing would use up the job's
          // attempts in seconds and leave it failed. Pause the queue briefly and put the job back, uncounted.
          await this.producer.queue(processor.queue).rateLimit(DATABASE_UNAVAILABLE_PAUSE_MS);
          this.record(processor.queue, job.name, 'deferred', started);
          this.logger.warn({ msg: 'job deferred: Postgres unavailable', ...base, pauseMs: DATABASE_UNAVAILABLE_PAUSE_MS, err: error });
          throw new RateLimitError();
        }
        this.record(processor.queue, job.name, 'failed', started);
        this.logger.warn({ msg: 'job failed', ...base, outcome: 'error', durationMs: Math.round(performance.now() - started), err: error });
        throw error;
      }
    });
  }

  private record(queue: string, name: string, outcome: 'completed' | 'failed' | 'deferred', started: number): void {
    this.processed.inc({ queue, name, outcome });
    this.duration.observe({ queue, name }, (performance.now() - started) / 1000);
  }
}
