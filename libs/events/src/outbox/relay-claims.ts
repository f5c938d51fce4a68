import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OUTBOX_EVENT_COLUMNS, type OutboxEventRow } from './outbox-event-row.js';
import { OutboxStatus } from './outbox-record.entity.js';

/** The relay's statements on the outbox: claim the rows that are due, and record a failed attempt. */
@Injectable()
export class RelayClaims {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` due rows for this relay. SKIP LOCKED lets relays run
   * side by side; the claim moves `available_at` one lease ahead, so no other
   * relay takes the rows while this one dispatches them (no lock is held
   * during the Redis round trips).
   *
   * `now()` (stable), not `clock_timestamp()` (volatile), in the WHERE: only
   * then is it an index condition on outbox_pending_available_idx, so the scan
   * stops at the first row not yet due instead of filtering every row still in
   * its grace period (thousands under load) on each poll.
   */
  async claimDue(limit: number, leaseMs: number): Promise<OutboxEventRow[]> {
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
       RETURNING ${OUTBOX_EVENT_COLUMNS}`,
      [limit, leaseMs],
    )) as [OutboxEventRow[], number];
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
