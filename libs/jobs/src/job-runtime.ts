import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DelayedError, RateLimitError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { HeraldConfig } from '@herald/config';
import { EventCatalogExplorer } from '@herald/events';
import {
  contextOf,
  Correlation,
  inSpan,
  isPermanentFailure,
  isServiceUnavailable,
  LATENCY_BUCKETS,
  retryAfterOf,
  Metrics,
  SpanKind,
} from '@herald/observability';
import { jobContext } from './job-context.js';
import { parseJobData, type AnyJobDefinition } from './job-definition.js';
import { boundJobHandlersOf, type BoundJobHandler } from './job-handler.js';
import { JobProducer } from './job-producer.js';
import { bullConnection } from './redis-connection.js';
import { isScheduledJob, type ScheduledJobDefinition } from './scheduled-job.js';
import { traceparentOfJob } from './trace-metadata.js';

/** How long a queue pauses when a job found Postgres or Redis unavailable (then it tries again). */
export const SERVICE_UNAVAILABLE_PAUSE_MS = 1000;
/** The longest pause a provider's Retry-After gets (a daily quota may ask for hours); then the job tries again. */
export const MAX_RETRY_AFTER_PAUSE_MS = 3_600_000;

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

/** The handlers found do not match the jobs the reactions queue: the worker does not start. */
export class JobHandlerRegistryError extends Error {
  constructor(problems: string[]) {
    super(`Job handler registry is incomplete:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'JobHandlerRegistryError';
  }
}

/**
 * Checks that every job the reactions queue has exactly one handler, and every
 * handler a job some reaction queues or a scheduled job (defineScheduledJob:
 * the worker itself schedules it), so no job can sit in a queue that nothing
 * serves and no handler waits for jobs that never come.
 */
export function assertHandlersMatchJobs(queued: readonly AnyJobDefinition[], handlers: readonly BoundJobHandler[]): void {
  const problems: string[] = [];
  const byName = new Map<string, BoundJobHandler[]>();
  for (const handler of handlers) byName.set(handler.job.name, [...(byName.get(handler.job.name) ?? []), handler]);
  for (const job of queued) {
    const found = byName.get(job.name) ?? [];
    if (found.length === 0) problems.push(`job "${job.name}" (queue "${job.queue.name}") has no handler (@JobHandler)`);
    if (found.length > 1) problems.push(`job "${job.name}" has ${found.length} handlers: ${found.map((h) => h.declaredAt).join(', ')}`);
    for (const handler of found) {
      if (handler.job !== job) problems.push(`${handler.declaredAt} handles a different job definition named "${job.name}"`);
    }
  }
  const queuedNames = new Set(queued.map((job) => job.name));
  for (const handler of handlers) {
    if (isScheduledJob(handler.job)) {
      if (queuedNames.has(handler.job.name))
        problems.push(`scheduled job "${handler.job.name}" (${handler.declaredAt}) has the name of a job reactions queue`);
      const same = byName.get(handler.job.name)!;
      if (same.length > 1 && same[0] === handler)
        problems.push(`scheduled job "${handler.job.name}" has ${same.length} handlers: ${same.map((h) => h.declaredAt).join(', ')}`);
    } else if (!queuedNames.has(handler.job.name)) {
      problems.push(`${handler.declaredAt} handles job "${handler.job.name}", which no reaction queues and no schedule runs`);
    }
  }
  if (problems.length > 0) throw new JobHandlerRegistryError(problems);
}

/**
 * The worker's job runtime: finds the @JobHandler methods among the providers
 * at boot, checks them against the jobs the reactions queue, and runs one
 * BullMQ Worker per queue. Job data is validated before a handler sees it;
 * invalid data fails the job at once (no retries) with the reason, and so does
 * a permanent failure (isPermanentFailure: an SMTP 5xx refusal). While
 * Postgres or Redis is unavailable, a job goes back to the queue without using
 * an attempt. Shutdown waits for active jobs to finish. Only the worker app
 * imports it: the API produces jobs but never consumes them.
 */
@Injectable()
export class JobRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly workers: Worker[] = [];
  private readonly processed;
  private readonly duration;
  private readonly stalled;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly catalog: EventCatalogExplorer,
    private readonly config: HeraldConfig,
    private readonly producer: JobProducer,
    metrics: Metrics,
  ) {
    this.processed = metrics.counter({
      name: 'herald_jobs_processed_total',
      help: 'Jobs processed by this worker, by outcome (completed, failed, invalid, deferred: put back while a service was unavailable)',
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

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.discovery
      .getProviders()
      .filter((wrapper) => wrapper.isDependencyTreeStatic() && wrapper.instance)
      .flatMap((wrapper) => boundJobHandlersOf(wrapper.instance as object));
    assertHandlersMatchJobs(this.catalog.catalog.jobs as AnyJobDefinition[], handlers);

    const byQueue = new Map<string, Map<string, BoundJobHandler>>();
    for (const handler of handlers) {
      const queueHandlers = byQueue.get(handler.job.queue.name) ?? new Map<string, BoundJobHandler>();
      queueHandlers.set(handler.job.name, handler);
      byQueue.set(handler.job.queue.name, queueHandlers);
    }
    for (const [queue, queueHandlers] of byQueue) {
      const definition = [...queueHandlers.values()][0]!.job.queue;
      const worker = new Worker(queue, (job: Job, token?: string) => this.process(queue, queueHandlers, job, token), {
        // Workers block on Redis: they must never give up on a command (BullMQ requirement).
        connection: bullConnection(this.config.redis, { maxRetriesPerRequest: null }),
        prefix: this.config.redis.queuePrefix,
        concurrency: this.config.worker.concurrency,
        lockDuration: this.config.worker.lockDurationMs,
        stalledInterval: stalledCheckInterval(this.config.worker.lockDurationMs),
        autorun: true,
        ...definition.workerOptions?.(this.config),
      });
      worker.on('error', (error) => this.logger.warn({ msg: 'worker connection error', queue, err: error }));
      worker.on('stalled', (jobId) => {
        this.stalled.inc({ queue });
        this.logger.warn({ msg: 'job stalled; it will run again', queue, jobId });
      });
      this.workers.push(worker);
    }
    this.logger.log({ msg: 'queue workers started', queues: [...byQueue.keys()], concurrency: this.config.worker.concurrency });
    for (const handler of handlers) {
      if (!isScheduledJob(handler.job)) continue;
      // Upkeep must not keep the worker from serving jobs: a schedule that could not be set is logged,
      // and set again by the next worker to boot.
      await this.schedule(handler.job).catch((error: unknown) =>
        this.logger.error({ msg: 'could not set the job schedule', queue: handler.job.queue.name, jobName: handler.job.name, err: error }),
      );
    }
  }

  /**
   * Registers (or updates, or with `everyMs` null removes) the job's schedule
   * in Redis under its name. Every worker does so at boot; BullMQ keeps one
   * scheduler per id, so many workers make one schedule per deployment, and
   * the last worker to boot sets the interval.
   */
  private async schedule(job: ScheduledJobDefinition): Promise<void> {
    const queue = this.producer.queue(job.queue.name);
    const everyMs = job.everyMs(this.config);
    if (everyMs === null) {
      const removed = await queue.removeJobScheduler(job.name);
      this.logger.log({ msg: 'job schedule off', queue: job.queue.name, jobName: job.name, removed });
      return;
    }
    // One attempt: the next tick is the retry. Finished runs are kept by count, for operators to look at.
    const opts = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 }, ...job.options };
    await queue.upsertJobScheduler(job.name, { every: everyMs }, { name: job.name, data: {}, opts });
    this.logger.log({ msg: 'job scheduled', queue: job.queue.name, jobName: job.name, everyMs });
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

  /** One job, in a span that continues the trace of the event that queued it (carried in the job's options). */
  private process(queue: string, handlers: ReadonlyMap<string, BoundJobHandler>, job: Job, token?: string): Promise<unknown> {
    return inSpan(
      `job ${job.name}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextOf(traceparentOfJob(job)),
        attributes: {
          'messaging.system': 'bullmq',
          'messaging.operation.type': 'process',
          'messaging.destination.name': queue,
          'messaging.message.id': job.id ?? '',
          'herald.job.attempt': job.attemptsMade + 1,
        },
      },
      () => this.processJob(queue, handlers, job, token),
    );
  }

  private async processJob(queue: string, handlers: ReadonlyMap<string, BoundJobHandler>, job: Job, token?: string): Promise<unknown> {
    const started = performance.now();
    const base = { queue, jobName: job.name, jobId: job.id, attempt: job.attemptsMade + 1 };
    const handler = handlers.get(job.name);
    let data: unknown;
    try {
      if (!handler) throw new Error(`no handler for job "${job.name}" on queue "${queue}"`);
      data = parseJobData(handler.job as AnyJobDefinition, job.data);
    } catch (error) {
      this.processed.inc({ queue, name: job.name.slice(0, 64), outcome: 'invalid' });
      this.logger.error({ msg: 'job rejected: invalid payload', ...base, outcome: 'invalid', err: error });
      throw new UnrecoverableError((error as Error).message);
    }
    const run = () => this.run(queue, handler!, job, base, started, data, token);
    if (isScheduledJob(handler!.job)) {
      // A scheduled run carries no data and no event: it is its own correlation.
      return Correlation.run({ correlationId: job.id ?? job.name }, run);
    }
    const { eventId, correlationId } = data as { eventId: string; correlationId: string };
    return Correlation.run({ correlationId, causationId: eventId }, run);
  }

  /** Runs a handler on validated data and records the outcome; defers the job while a service is unavailable. */
  private async run(
    queue: string,
    handler: BoundJobHandler,
    job: Job,
    base: Record<string, unknown>,
    started: number,
    data: unknown,
    token?: string,
  ): Promise<unknown> {
    const context = isScheduledJob(handler.job)
      ? { jobId: job.id ?? '', attempt: job.attemptsMade + 1 }
      : jobContext(job, data as { eventId: string });
    try {
      const result = await handler.handle(data, context);
      this.record(queue, job.name, 'completed', started);
      this.logger.log({ msg: 'job done', ...base, outcome: result ?? 'ok', durationMs: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      if (isServiceUnavailable(error)) {
        // Postgres or Redis is away (a restart, a failover): waiting costs nothing, failing would use up the
        // job's attempts in seconds and leave it failed. Pause the queue briefly and put the job back, uncounted.
        await this.producer.queue(queue).rateLimit(SERVICE_UNAVAILABLE_PAUSE_MS);
        this.record(queue, job.name, 'deferred', started);
        this.logger.warn({ msg: 'job deferred: a service is unavailable', ...base, pauseMs: SERVICE_UNAVAILABLE_PAUSE_MS, err: error });
        throw new RateLimitError();
      }
      const retryAfter = isPermanentFailure(error) ? undefined : retryAfterOf(error);
      if (retryAfter) {
        // The provider said when to come back (Retry-After, or a send of this very message still in flight):
        // no job of this queue calls it before then. Throttling uses no attempt; a failure with it does.
        const pauseMs = Math.min(Math.max(retryAfter.waitMs, 1), MAX_RETRY_AFTER_PAUSE_MS);
        await this.producer.queue(queue).rateLimit(pauseMs);
        if (retryAfter.throttled && token) {
          // This job waits the whole pause (delayed, not back in the queue: the rate limit alone may let it run
          // again at once on another worker's next fetch), and uses no attempt.
          await job.moveToDelayed(Date.now() + pauseMs, token);
          this.record(queue, job.name, 'deferred', started);
          this.logger.warn({ msg: 'job deferred: the provider asked to wait', ...base, pauseMs, err: error });
          throw new DelayedError();
        }
      }
      this.record(queue, job.name, 'failed', started);
      const permanent = isPermanentFailure(error);
      this.logger.warn({
        msg: 'job failed',
        ...base,
        outcome: 'error',
        ...(permanent ? { permanent: true } : {}),
        durationMs: Math.round(performance.now() - started),
        err: error,
      });
      // A permanent failure (an SMTP server's 5xx refusal) would fail every retry the same way: fail the job now,
      // kept with its reason among the failed jobs, instead of retrying it with backoff.
      if (permanent) throw new UnrecoverableError((error as Error).message);
      throw error;
    }
  }

  private record(queue: string, name: string, outcome: 'completed' | 'failed' | 'deferred', started: number): void {
    this.processed.inc({ queue, name, outcome });
    this.duration.observe({ queue, name }, (performance.now() - started) / 1000);
  }
}
