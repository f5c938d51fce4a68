import type { Job } from 'bullmq';
import { parseDeliveryJobId, type DeliveryContext, type EffectJournal } from '@herald/events';

/** What a job handler gets besides its validated data. */
export interface JobContext {
  readonly jobId: string;
  /** 1 for the first run, 2 for the first retry, ... */
  readonly attempt: number;
  /**
   * This job as one inbox delivery: the (reaction, event) pair its id was
   * derived from, the job as claimant, and its journal.
   */
  readonly delivery: DeliveryContext;
}

/** The progress field that says the job's side effect happened (an ISO time). */
export const EFFECT_PERFORMED_AT = 'effectPerformedAt';

/**
 * A note in the job's own state in Redis (its progress), read by the job's
 * later attempts: "the side effect already happened", even when recording
 * that in Postgres failed (BullMQ's step-job pattern).
 */
function progressJournal(job: Job): EffectJournal {
  return {
    // The progress BullMQ loaded with this attempt: only this job writes it, and one attempt runs at a time.
    performed: async () => typeof job.progress === 'object' && job.progress !== null && EFFECT_PERFORMED_AT in job.progress,
    notePerformed: () => job.updateProgress({ [EFFECT_PERFORMED_AT]: new Date().toISOString() }),
  };
}

/**
 * A job made by a reaction has the id `<reaction>.<eventId>`; any other id
 * (added by hand) is delivered under its job name and its data's event.
 */
export function jobContext(job: Job, data: { eventId: string }): JobContext {
  const jobId = job.id ?? '';
  return {
    jobId,
    attempt: job.attemptsMade + 1,
    delivery: {
      key: parseDeliveryJobId(jobId) ?? { consumer: job.name, eventId: data.eventId },
      claimant: jobId,
      journal: progressJournal(job),
    },
  };
}
