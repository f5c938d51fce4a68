import type { DataSource } from 'typeorm';
import { OUTBOX_EVENT_COLUMNS, type OutboxEventRow } from './outbox-event-row.js';
import { OutboxStatus } from './outbox-record.entity.js';

/** The committed events of one type within [since, until): what a replay reads. */
export interface ReplayRange {
  readonly eventType: string;
  readonly since: Date;
  readonly until: Date;
}

/** Where the next page of a replay starts: the time as ISO 8601 UTC to the microsecond, so none is lost. */
export interface ReplayCursor {
  readonly occurredAt: string;
  readonly id: string;
}

export interface ReplayPage {
  readonly rows: OutboxEventRow[];
  /** null after the last page. */
  readonly next: ReplayCursor | null;
  /** The position of the page's last row (null for an empty page): where a replay that stops here continues. */
  readonly last: ReplayCursor | null;
}

/** What a replay (ops CLI `outbox:replay`) reads of the outbox: the rows of its range. */
export class ReplayRows {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Dispatched events of a range, oldest first, a page at a time (keyset on
   * occurred_at, id, read through outbox_event_type_occurred_at_idx). Pending
   * rows are left out: the relay delivers them to every reaction anyway; dead
   * rows are outbox:requeue's business.
   */
  async page(range: ReplayRange, after: ReplayCursor | null, limit: number): Promise<ReplayPage> {
    const rows = (await this.dataSource.query(
      `SELECT ${OUTBOX_EVENT_COLUMNS}, to_char(o.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorAt"
       FROM outbox o
       WHERE o.event_type = $1 AND o.status = '${OutboxStatus.Dispatched}'
         AND o.occurred_at >= $2 AND o.occurred_at < $3
         AND ($4::timestamptz IS NULL OR (o.occurred_at, o.id) > ($4::timestamptz, $5::uuid))
       ORDER BY o.occurred_at, o.id LIMIT $6`,
      [range.eventType, range.since, range.until, after?.occurredAt ?? null, after?.id ?? null, limit],
    )) as (OutboxEventRow & { cursorAt: string })[];
    const last = rows.at(-1);
    return {
      rows: rows.map(({ cursorAt: _, ...row }) => row),
      next: last && rows.length === limit ? { occurredAt: last.cursorAt, id: last.id } : null,
      last: last ? { occurredAt: last.cursorAt, id: last.id } : null,
    };
  }

  /** Rows of the range, counted per status (a replay reports the pending and dead ones it leaves out). */
  async countByStatus(range: ReplayRange): Promise<Record<OutboxStatus, number>> {
    const rows = (await this.dataSource.query(
      `SELECT status, count(*)::int AS n FROM outbox
       WHERE event_type = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY status`,
      [range.eventType, range.since, range.until],
    )) as { status: OutboxStatus; n: number }[];
    const counts: Record<OutboxStatus, number> = { pending: 0, dispatched: 0, dead: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }
}
