import { DelayedError, RateLimitError, type Job } from 'bullmq';
import { Correlation, isPermanentFailure, isServiceUnavailable, retryAfterOf } from '@herald/observability';
import { attemptOf, type Attempt, type JobOutcomes } from './job-outcomes.js';
import { inJobSpan } from './job-span.js';
import { prepareRun, type PreparedRun, type RunnableJob } from './runnable-job.js';

/** How long a queue pauses when a job found Postgres or Redis unavailable (then it tries again). */
export const SERVICE_UNAVAILABLE_PAUSE_MS = 1000;
/** The longest pause a provider's Retry-After gets (a daily quota may ask for hours); then the job tries again. */
export const MAX_RETRY_AFTER_PAUSE_MS = 3_600_000;

/**
 * One attempt of one job: in its span, its data validated through its
 * definition before the handler sees it, under the correlation of the
 * request that caused it. Invalid data fails the job at once (no retries);
 * while Postgres or Redis is unavailable, or a mail provider throttles, the
 * job goes back to the queue without using an attempt.
 */
export class JobProcessor {
  constructor(
    private readonly outcomes: JobOutcomes,
    /** Holds a queue's jobs back for a while (BullMQ's rate limit of the queue). */
    private readonly pauseQueue: (queue: string, ms: number) => Promise<void>,
  ) {}

  /** `token`: the worker's lock on the job, which moving it to delayed needs. */
  process(queue: string, runnables: ReadonlyMap<string, RunnableJob>, job: Job, token?: string): Promise<unknown> {
    return inJobSpan(queue, job, () => this.attempt(queue, runnables, job, token));
  }

  private async attempt(queue: string, runnables: ReadonlyMap<string, RunnableJob>, job: Job, token?: string): Promise<unknown> {
    const attempt = attemptOf(queue, job);
    let run: PreparedRun;
    try {
      const runnable = runnables.get(job.name);
      if (!runnable) throw new Error(`no handler for job "${job.name}" on queue "${queue}"`);
      run = prepareRun(runnable, job);
    } catch (error) {
      throw this.outcomes.invalid(attempt, error instanceof Error ? error : new Error(String(error)));
    }
    return Correlation.run(run.correlation, () => this.settle(attempt, run, job, token));
  }

  private async settle(attempt: Attempt, run: PreparedRun, job: Job, token?: string): Promise<unknown> {
    try {
      const result = await run.call();
      this.outcomes.completed(attempt, result);
      return result;
    } catch (error) {
      if (isServiceUnavailable(error)) {
        // Postgres or Redis is away (a restart, a failover): waiting costs nothing, failing would use up the
        // job's attempts in seconds and leave it failed. Pause the queue briefly and put the job back, uncounted.
        await this.pauseQueue(attempt.queue, SERVICE_UNAVAILABLE_PAUSE_MS);
        this.outcomes.deferred(attempt, error, SERVICE_UNAVAILABLE_PAUSE_MS);
        throw new RateLimitError();
      }
      const retryAfter = isPermanentFailure(error) ? undefined : retryAfterOf(error);
      if (retryAfter) {
        // The provider said when to come back (Retry-After, or a send of this very message still in flight):
        // no job of this queue calls it before then. Throttling uses no attempt; a failure with it does.
        const pauseMs = Math.min(Math.max(retryAfter.waitMs, 1), MAX_RETRY_AFTER_PAUSE_MS);
        await this.pauseQueue(attempt.queue, pauseMs);
        if (retryAfter.throttled && token) {
          // This job waits the whole pause (delayed, not back in the queue: the rate limit alone may let it run
          // again at once on another worker's next fetch), and uses no attempt.
          await job.moveToDelayed(Date.now() + pauseMs, token);
          this.outcomes.deferred(attempt, error, pauseMs, 'the provider asked to wait');
          throw new DelayedError();
        }
      }
      throw this.outcomes.failed(attempt, error);
    }
  }
}
