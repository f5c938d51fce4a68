import type { OutboxRecord } from './outbox-record.entity.js';

/** An outbox row as the relay, a replay and a reconcile read it: what loads its event, and its relay attempts. */
export type OutboxEventRow = Pick<
  OutboxRecord,
  | 'id'
  | 'eventType'
  | 'schemaVersion'
  | 'aggregateId'
  | 'payload'
  | 'correlationId'
  | 'causationId'
  | 'occurredAt'
  | 'traceparent'
  | 'attempts'
>;

/** The columns of an OutboxEventRow, named as it names them (table alias `o`). */
export const OUTBOX_EVENT_COLUMNS = `o.id, o.event_type AS "eventType", o.schema_version AS "schemaVersion", o.aggregate_id AS "aggregateId",
  o.payload, o.correlation_id AS "correlationId", o.causation_id AS "causationId", o.occurred_at AS "occurredAt", o.traceparent, o.attempts`;
