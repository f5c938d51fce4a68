import type { HeraldConfig } from '@herald/config';
import { HOUR_MS, type Deduplication } from './transports/mail-transport.js';

/** How long after a delivery's first send herald may send it again, and why. */
export interface RetrySpans {
  /** The job's own retries: the exponential backoff between JOB_ATTEMPTS attempts. */
  readonly automaticMs: number;
  /** An operator retrying a failed job, kept JOB_FAILED_RETENTION_DAYS, then its retries again. */
  readonly operatorMs: number;
}

/**
 * The spans in which one delivery (one idempotency key) may be attempted
 * again. A replay (`outbox:replay`) is not among them: it is a new delivery
 * with a key of its own, sent on purpose; a redelivered event that finds its
 * inbox record done sends nothing, whatever the window.
 */
export function retrySpans(config: Pick<HeraldConfig, 'jobs'>): RetrySpans {
  const automaticMs = config.jobs.backoffMs * (2 ** (config.jobs.attempts - 1) - 1);
  return { automaticMs, operatorMs: config.jobs.failedRetentionDays * 24 * HOUR_MS + automaticMs };
}

const hours = (ms: number) => `${Math.round((ms / HOUR_MS) * 10) / 10} h`;

/**
 * Compares a transport's de-duplication window with the spans in which herald
 * may send a delivery again; the warning says what stays at-least-once, or
 * null when every retry falls within the window (or the transport does not
 * de-duplicate at all: nothing to compare).
 */
export function dedupWindowWarning(config: Pick<HeraldConfig, 'jobs'>, dedup: Deduplication | null): string | null {
  const spans = retrySpans(config);
  if (dedup === null) return null; // nothing to compare: at-least-once, as the start-up log says
  if (spans.automaticMs > dedup.windowMs) {
    return (
      `the job retries of JOB_ATTEMPTS and JOB_BACKOFF_MS span ${hours(spans.automaticMs)}, beyond the ${hours(dedup.windowMs)} ` +
      `in which ${dedup.by} de-duplicates: a late retry of a mail the provider accepted is sent again (at-least-once)`
    );
  }
  if (spans.operatorMs > dedup.windowMs) {
    return (
      `failed jobs are kept ${config.jobs.failedRetentionDays} d (JOB_FAILED_RETENTION_DAYS) for an operator to retry, beyond the ` +
      `${hours(dedup.windowMs)} in which ${dedup.by} de-duplicates: an operator's retry after that window of a mail the provider ` +
      'had accepted is sent again (at-least-once); automatic retries stay within it'
    );
  }
  return null;
}
