import { Logger } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { isPermanentFailure, LATENCY_BUCKETS, type Metrics } from '@herald/observability';

/** One attempt of one job, as its outcome is counted and logged. */
export interface Attempt {
  readonly queue: string;
  readonly jobName: string;
  readonly jobId: string | undefined;
  readonly attempt: number;
  /** performance.now() when it began. */
  readonly started: number;
}

export function attemptOf(queue: string, job: Job): Attempt {
  return { queue, jobName: job.name, jobId: job.id, attempt: job.attemptsMade + 1, started: performance.now() };
}

/**
 * What became of each attempt: `herald_jobs_processed_total{queue,name,outcome}`,
 * `herald_job_duration_seconds`, `herald_jobs_stalled_total` and one log line,
 * and which error BullMQ gets (one that fails the job at once, or one it
 * retries with backoff).
 */
export class JobOutcomes {
  private readonly logger = new Logger('Jobs');
  private readonly processed;
  private readonly duration;
  private readonly stalledJobs;

  constructor(metrics: Metrics) {
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
    this.stalledJobs = metrics.counter({
      name: 'herald_jobs_stalled_total',
      help: 'Jobs found stalled (their worker died)',
      labelNames: ['queue'],
    });
  }

  /** Data that fails its schema, or a job name the queue does not serve: failed at once, no retries. */
  invalid(attempt: Attempt, error: Error): UnrecoverableError {
    // The name comes from Redis: bounded, it is a metric label.
    this.processed.inc({ queue: attempt.queue, name: attempt.jobName.slice(0, 64), outcome: 'invalid' });
    this.logger.error({ msg: 'job rejected: invalid payload', ...fields(attempt), outcome: 'invalid', err: error });
    return new UnrecoverableError(error.message);
  }

  completed(attempt: Attempt, result: unknown): void {
    this.record(attempt, 'completed');
    this.logger.log({ msg: 'job done', ...fields(attempt), outcome: result ?? 'ok', durationMs: elapsedMs(attempt) });
  }

  /** Put back uncounted while Postgres or Redis is away, or a provider throttles (the queue pauses `pauseMs`). */
  deferred(attempt: Attempt, error: unknown, pauseMs: number, why = 'a service is unavailable'): void {
    this.record(attempt, 'deferred');
    this.logger.warn({ msg: `job deferred: ${why}`, ...fields(attempt), pauseMs, err: error });
  }

  /**
   * A failed attempt. A permanent failure (an SMTP server's 5xx refusal) would
   * fail every retry the same way: the job fails now, kept with its reason
   * among the failed jobs, instead of being retried with backoff.
   */
  failed(attempt: Attempt, error: unknown): unknown {
    this.record(attempt, 'failed');
    const permanent = isPermanentFailure(error);
    this.logger.warn({
      msg: 'job failed',
      ...fields(attempt),
      outcome: 'error',
      ...(permanent ? { permanent: true } : {}),
      durationMs: elapsedMs(attempt),
      err: error,
    });
    return permanent ? new UnrecoverableError((error as Error).message) : error;
  }

  stalled(queue: string, jobId: string): void {
    this.stalledJobs.inc({ queue });
    this.logger.warn({ msg: 'job stalled; it will run again', queue, jobId });
  }

  private record(attempt: Attempt, outcome: 'completed' | 'failed' | 'deferred'): void {
    this.processed.inc({ queue: attempt.queue, name: attempt.jobName, outcome });
    this.duration.observe({ queue: attempt.queue, name: attempt.jobName }, (performance.now() - attempt.started) / 1000);
  }
}

function fields({ queue, jobName, jobId, attempt }: Attempt) {
  return { queue, jobName, jobId, attempt };
}

function elapsedMs(attempt: Attempt): number {
  return Math.round(performance.now() - attempt.started);
}
