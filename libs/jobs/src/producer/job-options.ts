import type { DefaultJobOptions } from 'bullmq';
import type { HeraldConfig } from '@herald/config';

/**
 * Default options of every job. Completed jobs are kept by AGE, never by count:
 * a job id de-duplicates only while the earlier job still exists, so retention
 * must outlast the window in which the relay may re-deliver an event.
 * Failed jobs are kept for operators to inspect and retry.
 */
export function defaultJobOptions(config: HeraldConfig): DefaultJobOptions {
  return {
    attempts: config.jobs.attempts,
    backoff: { type: 'exponential', delay: config.jobs.backoffMs },
    removeOnComplete: { age: config.jobs.completedRetentionHours * 3600 },
    removeOnFail: { age: config.jobs.failedRetentionDays * 24 * 3600 },
  };
}
