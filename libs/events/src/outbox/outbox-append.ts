import type { EntityManager } from 'typeorm';
import type { DomainEvent } from '../domain/domain-event.js';

/**
 * The unit of work's one statement on the outbox: appends every event the
 * transaction kept, on its connection (`manager`), sent together with the
 * COMMIT. `available_at` starts one grace period after now (the commit): until
 * then the in-process dispatch owns the row.
 */
export async function appendToOutbox(
  manager: Pick<EntityManager, 'query'>,
  events: readonly DomainEvent[],
  graceMs: number,
): Promise<void> {
  if (events.length === 0) return;
  const params: unknown[] = [graceMs];
  const tuples = events.map((event) => {
    const base = params.length;
    params.push(
      event.eventId,
      event.eventType,
      event.schemaVersion,
      event.aggregateId,
      JSON.stringify(event.payload),
      event.correlationId,
      event.causationId,
      event.occurredAt,
      event.traceparent,
    );
    const p = (i: number) => `$${base + i}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}::jsonb, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, clock_timestamp() + make_interval(secs => $1::double precision / 1000))`;
  });
  await manager.query(
    `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, causation_id, occurred_at, traceparent, available_at)
     VALUES ${tuples.join(', ')}`,
    params,
  );
}
