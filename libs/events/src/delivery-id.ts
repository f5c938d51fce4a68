/**
 * A job created by a reaction for an event has the id `<reaction>.<eventId>`:
 * the same pair names the job (BullMQ de-duplicates it) and the consumer's
 * inbox record, so each (reaction, event) is delivered once — two reactions
 * to one event are two deliveries, each once.
 */
export interface DeliveryKey {
  /** The reaction's stable name: the inbox consumer. */
  readonly consumer: string;
  readonly eventId: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const DELIVERY_ID = new RegExp(`^([A-Za-z0-9_-][A-Za-z0-9._-]*)\\.(${UUID})$`);

/** The job id of a (reaction, event) pair. BullMQ forbids ':' and pure integers in custom ids. */
export function deliveryJobId(reaction: string, eventId: string): string {
  const id = `${reaction}.${eventId}`;
  if (!DELIVERY_ID.test(id)) {
    throw new Error(`"${id}" is not a valid delivery id (reaction: letters, digits, "-", "_" and "."; event: a lower-case UUID)`);
  }
  return id;
}

/** The (reaction, event) pair of a job id made by deliveryJobId, or null for any other id. */
export function parseDeliveryJobId(jobId: string): DeliveryKey | null {
  const match = DELIVERY_ID.exec(jobId);
  return match ? { consumer: match[1]!, eventId: match[2]! } : null;
}
