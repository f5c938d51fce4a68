import { EVENT_ID_PATTERN } from '../domain/event-id.js';
import type { ReplayCursor } from '../outbox/replay-rows.js';

/** `2025-01-10T09:00:00.123456Z/<event uuid>`: UTC to the microsecond (Postgres's precision), then the event id. */
const CURSOR = new RegExp(`^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z)/(${EVENT_ID_PATTERN})$`, 'i');

/** A cursor as printed by a replay and typed back as `--after`: shell-safe, no spaces. */
export function formatReplayCursor(cursor: ReplayCursor): string {
  return `${cursor.occurredAt}/${cursor.id}`;
}

/** The cursor a replay printed, or null when `text` is not one. */
export function parseReplayCursor(text: string): ReplayCursor | null {
  const match = CURSOR.exec(text.trim());
  if (!match || Number.isNaN(new Date(match[1]!.slice(0, 23) + 'Z').getTime())) return null;
  return { occurredAt: match[1]!, id: match[2]!.toLowerCase() };
}
