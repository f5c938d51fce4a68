import { createHash } from 'node:crypto';
import type { EventCatalog } from '../catalog/event-catalog.js';
import type { BoundReaction } from '../catalog/reaction.js';
import type { ReplayCursor } from '../outbox/replay-rows.js';

/** What an operator asks to replay (checked at the CLI boundary; checked again here). */
export interface ReplayRequest {
  readonly eventType: string;
  /** One reaction; absent: every reaction to the event type. */
  readonly reaction?: string;
  readonly since: Date;
  /** Absent: up to the first run's time. */
  readonly until?: Date;
  /** Clear the reactions' inbox records of each step's events just before queueing their jobs, so they act again. */
  readonly reprocess: boolean;
  /** Absent: derived from the arguments above, so the same command continues the same replay. */
  readonly replayId?: string;
  /** At most this many events in this run (a rerun continues after the last). */
  readonly limit?: number;
  /** Start after this event instead of where the replay's last run stopped (a cursor it printed). */
  readonly after?: ReplayCursor;
  readonly dryRun: boolean;
}

/** A replay asked for something the catalog does not have, or bounds that do not make a range. */
export class ReplayRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRequestError';
  }
}

/**
 * The id of a replay given no --replay-id: a digest of what defines it, so
 * the same command run again is the same replay (same job ids, no doubles).
 */
export function deriveReplayId(request: Pick<ReplayRequest, 'eventType' | 'reaction' | 'since' | 'until' | 'reprocess'>): string {
  const parts = [
    request.eventType,
    request.reaction ?? '*',
    request.since.toISOString(),
    request.until?.toISOString() ?? 'open',
    request.reprocess ? 'reprocess' : 'backfill',
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The reactions a request names, checked against the catalog. */
export function reactionsOfRequest(catalog: EventCatalog<BoundReaction>, eventType: string, reaction?: string): BoundReaction[] {
  if (!catalog.eventTypes.includes(eventType)) {
    throw new ReplayRequestError(`unknown event type "${eventType}"; known types: ${catalog.eventTypes.join(', ')}`);
  }
  const reactions = catalog.reactionsToType(eventType);
  if (reactions.length === 0) throw new ReplayRequestError(`no reaction reacts to ${eventType}: nothing to replay`);
  if (reaction === undefined) return [...reactions];
  const chosen = reactions.filter((candidate) => candidate.name === reaction);
  if (chosen.length === 0) {
    throw new ReplayRequestError(
      `unknown reaction "${reaction}" for ${eventType}; its reactions: ${reactions.map((candidate) => candidate.name).join(', ')}`,
    );
  }
  return chosen;
}
