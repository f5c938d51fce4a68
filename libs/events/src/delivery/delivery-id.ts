import { EVENT_ID_PATTERN } from '../domain/event-id.js';

/**
 * A job created by a reaction for an event has the id `<reaction>.<eventId>`:
 * the same pair names the job (BullMQ de-duplicates it) and the consumer's
 * inbox record, so each (reaction, event) is delivered once — two reactions
 * to one event are two deliveries, each once.
 *
 * A replay (ops CLI `outbox:replay`) delivers the pair again under
 * `<reaction>.<eventId>.r<replayId>`: a job id of its own, because BullMQ
 * drops an add whose id still exists (the original job may be retained), yet
 * the same (reaction, event) pair, so the inbox de-duplicates it against the
 * original delivery unless the replay cleared that record on purpose.
 */
export interface DeliveryKey {
  /** The reaction's stable name: the inbox consumer. */
  readonly consumer: string;
  readonly eventId: string;
  /** The replay this delivery belongs to; absent for the original delivery. Not part of the inbox key. */
  readonly replayId?: string;
}

const REACTION = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
/** A replay id: short enough for a job id, no '.' (it ends the job id) and no ':' (BullMQ). */
const REPLAY_ID_PATTERN = '[A-Za-z0-9_-]{1,40}';
const DELIVERY_ID = new RegExp(`^(${REACTION})\\.(${EVENT_ID_PATTERN})$`);
const REPLAY_DELIVERY_ID = new RegExp(`^(${REACTION})\\.(${EVENT_ID_PATTERN})\\.r(${REPLAY_ID_PATTERN})$`);
export const REPLAY_ID = new RegExp(`^${REPLAY_ID_PATTERN}$`);

/** The job id of a (reaction, event) pair. BullMQ forbids ':' and pure integers in custom ids. */
export function deliveryJobId(reaction: string, eventId: string): string {
  const id = `${reaction}.${eventId}`;
  if (!DELIVERY_ID.test(id)) {
    throw new Error(`"${id}" is not a valid delivery id (reaction: letters, digits, "-", "_" and "."; event: a lower-case UUID)`);
  }
  return id;
}

/** The job id of a (reaction, event) pair delivered again by a replay: one per (replay, reaction, event). */
export function replayJobId(reaction: string, eventId: string, replayId: string): string {
  if (!REPLAY_ID.test(replayId)) throw new Error(`"${replayId}" is not a valid replay id (letters, digits, "-" and "_", at most 40)`);
  return `${deliveryJobId(reaction, eventId)}.r${replayId}`;
}

/** The (reaction, event) pair of a job id made by deliveryJobId or replayJobId, or null for any other id. */
export function parseDeliveryJobId(jobId: string): DeliveryKey | null {
  const replay = REPLAY_DELIVERY_ID.exec(jobId);
  if (replay) return { consumer: replay[1]!, eventId: replay[2]!, replayId: replay[3]! };
  const match = DELIVERY_ID.exec(jobId);
  return match ? { consumer: match[1]!, eventId: match[2]! } : null;
}
