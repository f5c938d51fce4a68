import type { BoundReaction } from '../catalog/reaction.js';
import { deliveryJobId, replayJobId } from '../delivery/delivery-id.js';
import type { SinkJob } from '../delivery/job-sink.js';
import type { DomainEvent } from '../domain/domain-event.js';

/** One reaction's job for one event. */
export interface DeliveryJob {
  readonly reaction: BoundReaction;
  readonly job: SinkJob;
}

/** A reaction that could not make its job for the event: it threw. */
export interface ReactionFailure {
  readonly reaction: string;
  readonly error: Error;
}

export interface DeliveryJobOptions {
  /** When the job came into being (ms since epoch): its transaction's commit, the event's time, or now for a replay. */
  readonly timestamp: number;
  /** A replay's deliveries get job ids of their own (`<reaction>.<eventId>.r<replayId>`, delivery-id.ts). */
  readonly replayId?: string;
}

/**
 * The one event → job mapping, for first deliveries (post-commit dispatch,
 * relay) and replays alike: each reaction's fields plus the event's `eventId`
 * and `correlationId` (ids only, never secrets), a job id derived from the
 * (reaction, event) pair, and the event's trace, so the job's spans join it
 * however late it runs. A reaction that throws fails only its own job; the
 * caller decides what that means for the event.
 */
export function deliveryJobs(
  event: DomainEvent,
  reactions: readonly BoundReaction[],
  options: DeliveryJobOptions,
): { jobs: DeliveryJob[]; failures: ReactionFailure[] } {
  const jobs: DeliveryJob[] = [];
  const failures: ReactionFailure[] = [];
  for (const reaction of reactions) {
    try {
      const jobId =
        options.replayId === undefined
          ? deliveryJobId(reaction.name, event.eventId)
          : replayJobId(reaction.name, event.eventId, options.replayId);
      jobs.push({
        reaction,
        job: {
          target: reaction.job,
          jobId,
          data: { ...reaction.toJobInput(event), eventId: event.eventId, correlationId: event.correlationId },
          timestamp: options.timestamp,
          traceparent: event.traceparent,
        },
      });
    } catch (error) {
      failures.push({ reaction: reaction.name, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return { jobs, failures };
}
