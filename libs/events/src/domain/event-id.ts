/**
 * An event id as text: a UUID (v7 for every event herald records), lower case
 * as Postgres prints it. The one pattern every parser of event ids builds on:
 * job ids, replay cursors, and ids that operators type.
 */
export const EVENT_ID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const EVENT_ID = new RegExp(`^${EVENT_ID_PATTERN}$`);

/** An event id as a person may type it (any case), in its stored lower-case form; null when it is not one. */
export function parseEventId(text: string): string | null {
  const id = text.toLowerCase();
  return EVENT_ID.test(id) ? id : null;
}
