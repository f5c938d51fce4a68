import { InvalidArgumentError } from 'commander';
import { parseEventId, parseReplayCursor, REPLAY_ID, type ReplayCursor } from '@herald/events';
import { JOB_NAMES, QUEUE_NAMES } from './contexts.js';

// Every value an operator types is checked here, before any connection is
// made; commander prints the message and exits with a usage error.

export function parseQueueName(value: string): string {
  if (!QUEUE_NAMES.includes(value)) throw new InvalidArgumentError(`unknown queue "${value}"; valid queues: ${QUEUE_NAMES.join(', ')}`);
  return value;
}

export function parseJobName(value: string): string {
  if (!JOB_NAMES.includes(value)) throw new InvalidArgumentError(`unknown job name "${value}"; valid names: ${JOB_NAMES.join(', ')}`);
  return value;
}

/**
 * A BullMQ job id as the CLI accepts it: our ids are derived (`reaction.uuid`) or
 * BullMQ's integers; ':' would address another Redis key.
 */
export function parseJobId(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,256}$/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not a job id (letters, digits, ".", "_" and "-", at most 256)`);
  }
  return value;
}

/** An outbox row id (the event id, a UUID); commander collects repeated options through `previous`. */
export function parseOutboxId(value: string, previous: string[] = []): string[] {
  const id = parseEventId(value);
  if (!id) throw new InvalidArgumentError(`"${value}" is not an outbox id (a UUID)`);
  return [...previous, id];
}

export const MAX_LIMIT = 10_000;

export function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIMIT) {
    throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Number(value);
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MAX_DURATION_MS = 10 * 365 * UNIT_MS.d;

/**
 * "30m", "12h", "7d" (also s and w) to milliseconds. One number and one unit:
 * strict on purpose, so "7" or "1.5h" is refused rather than guessed at.
 */
export function parseDuration(value: string): number {
  const match = /^(\d+)([smhdw])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
  if (!match || ms <= 0 || ms > MAX_DURATION_MS) {
    throw new InvalidArgumentError(`"${value}" is not a duration: use a positive number and a unit, like 30m, 12h or 7d (s, m, h, d, w)`);
  }
  return ms;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A point in time as ISO 8601: a date (midnight UTC) or a date and time with
 * its offset (Z or +hh:mm). Absolute on purpose: a replay is identified by its
 * bounds, and "2h ago" would name another range at every run.
 */
export function parseTime(value: string): Date {
  const text = value.trim();
  const match = ISO_TIME.exec(text);
  const date = match ? new Date(match[4] === undefined ? `${text}T00:00:00Z` : text) : new Date(NaN);
  if (!match || Number.isNaN(date.getTime()) || !isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new InvalidArgumentError(
      `"${value}" is not a time: use ISO 8601 with a time zone, like 2026-05-01, 2026-05-01T12:00:00Z or 2026-05-01T14:00+02:00`,
    );
  }
  return date;
}

/** Date would roll 2026-02-30 over to March; refuse it instead. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A replay id of the operator's choosing: part of every job id of the replay. */
export function parseReplayId(value: string): string {
  if (!REPLAY_ID.test(value)) throw new InvalidArgumentError(`"${value}" is not a replay id (letters, digits, "-" and "_", at most 40)`);
  return value;
}

/** A replay's cursor as a run printed it (`<time to the microsecond>Z/<event id>`). */
export function parseReplayCursorArgument(value: string): ReplayCursor {
  const cursor = parseReplayCursor(value);
  if (!cursor) {
    throw new InvalidArgumentError(
      `"${value}" is not a replay cursor: give one as a run printed it, like 2026-05-01T08:00:00.000000Z/<event id>`,
    );
  }
  return cursor;
}
