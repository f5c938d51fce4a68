import type { Job } from 'bullmq';

/** What a job handler gets besides its validated payload. */
export interface JobContext {
  readonly jobId: string;
  /** 1 for the first run, 2 for the first retry, ... */
  readonly attempt: number;
  /**
   * A note in the job's own state in Redis (its progress), read by the job's
   * later attempts: "the side effect already happened", even when recording
   * that in Postgres failed (BullMQ's step-job pattern).
   */
  readonly journal: { performed(): Promise<boolean>; notePerformed(): Promise<void> };
}

/** The progress field that says the job's side effect happened (an ISO time). */
export const EFFECT_PERFORMED_AT = 'effectPerformedAt';

export function jobContext(job: Job): JobContext {
  return {
    jobId: job.id ?? '',
    attempt: job.attemptsMade + 1,
    journal: {
      // The progress BullMQ loaded with this attempt: only this job writes it, and one attempt runs at a time.
      performed: async () => typeof job.progress === 'object' && job.progress !== null && EFFECT_PERFORMED_AT in job.progress,
      notePerformed: () => job.updateProgress({ [EFFECT_PERFORMED_AT]: new Date().toISOString() }),
    },
  };
}
