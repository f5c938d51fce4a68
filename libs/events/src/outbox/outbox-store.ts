import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { DomainEvent } from '../domain/domain-event.js';
import { OutboxStatus, type OutboxRecord } from './outbox-record.entity.js';

export type ClaimedRow = Pick<
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

/** The columns of a stored event, as ClaimedRow names them (table alias `o`). */
const STORED_EVENT_COLUMNS = `o.id, o.event_type AS "eventType", o.schema_version AS "schemaVersion", o.aggregate_id AS "aggregateId",
  o.payload, o.correlation_id AS "correlationId", o.causation_id AS "causationId", o.occurred_at AS "occurredAt", o.traceparent, o.attempts`;

export interface OutboxStats {
  readonly pending: number;
  readonly dispatched: number;
  readonly dead: number;
  /** Milliseconds since the oldest pending row was committed; null when nothing is pending. */
  readonly oldestPendingAgeMs: number | null;
}

/**
 * How many rows the backlog reading counts one by one; beyond this many it
 * reports Postgres's estimate (OutboxStore.backlog). 10,000 entries of a
 * partial index are read in a few milliseconds.
 */
export const BACKLOG_COUNTED_UP_TO = 10_000;

/** The backlog at a glance: pending and dead rows, and how long the oldest pending row has waited. */
export interface OutboxBacklog extends Pick<OutboxStats, 'pending' | 'dead' | 'oldestPendingAgeMs'> {
  /** False when a count passed BACKLOG_COUNTED_UP_TO and is Postgres's estimate instead. */
  readonly exact: boolean;
}

interface BacklogRow {
  pending: number;
  dead: number;
  oldestPendingAgeMs: number | null;
  pendingEstimate: number | null;
  deadEstimate: number | null;
}

export interface DeadOutboxRow {
  readonly id: string;
  readonly eventType: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
}

/** Rows of one event type by status: all pending and dead rows, and the rows dispatched recently. */
export interface EventTypeCounts {
  readonly eventType: string;
  readonly pending: number;
  readonly dead: number;
  /** Dispatched within the window the caller named (dispatched rows are history: only a window is read). */
  readonly dispatchedRecently: number;
}

/** Time from an event's row being written until its jobs were acknowledged, over the latest dispatched rows. */
export interface DispatchLag {
  /** How many rows the figures are taken from (at most the sample size asked for). */
  readonly sampled: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

/** What to put back to pending. At least one selector must be given. */
export interface RequeueSelection {
  /** Every dead row. */
  readonly allDead?: boolean;
  /** These dead rows; each must exist and be dead. */
  readonly ids?: readonly string[];
  /** Pending rows committed longer ago than this: the relay has not managed to deliver them. */
  readonly stuckOlderThanMs?: number;
}

export interface RequeuedRow {
  readonly id: string;
  readonly eventType: string;
  /** Status before the requeue: `dead` or `pending` (stuck). */
  readonly previousStatus: OutboxStatus;
  /** Relay attempts before the requeue. */
  readonly previousAttempts: number;
  readonly createdAt: Date;
  readonly lastError: string | null;
}

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
  readonly rows: ClaimedRow[];
  /** null after the last page. */
  readonly next: ReplayCursor | null;
  /** The position of the page's last row (null for an empty page): where a replay that stops here continues. */
  readonly last: ReplayCursor | null;
}

/** An outbox id an operator named does not exist, or is not in a state the operation accepts. */
export class OutboxRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboxRowError';
  }
}

/** Rows per DELETE of outbox:prune (the scheduled retention uses RETENTION_BATCH_SIZE). */
const PRUNE_BATCH = 1000;

const CANDIDATES = `
  (o.status = '${OutboxStatus.Dead}' AND ($1::boolean OR o.id = ANY($2::uuid[])))
  OR (o.status = '${OutboxStatus.Pending}' AND $3::double precision IS NOT NULL
      AND o.created_at < clock_timestamp() - make_interval(secs => $3::double precision / 1000))`;

const ROW_COLUMNS = `o.id, o.event_type AS "eventType", o.attempts AS "previousAttempts", o.status AS "previousStatus",
  o.created_at AS "createdAt", o.last_error AS "lastError"`;

/**
 * The one owner of the `outbox` table: every statement on it is here — the
 * unit of work's appends, the dispatch's marks, the relay's claims, and the
 * operators' reads and repairs (ops CLI, metrics). Ages are computed by
 * Postgres, so no process's clock matters.
 */
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
   * its grace period (thousands under load) on each poll.
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
       RETURNING ${STORED_EVENT_COLUMNS}`,
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

  /**
   * The backlog only (for the metrics, every scrape; and the outbox console):
   * pending and dead rows and the age of the oldest pending one, at a cost
   * that does not grow with the backlog. Rows are counted exactly up to
   * BACKLOG_COUNTED_UP_TO, each through its partial index; beyond that the
   * count is Postgres's estimate of the partial index's entries (refreshed by
   * autovacuum), never less than the cap, and `exact` says so. Counting a
   * million pending rows took half a second per scrape (bench scenario 6).
   * The oldest pending row is the first entry of outbox_pending_created_at_idx.
   */
  async backlog(): Promise<OutboxBacklog> {
    const [row] = (await this.dataSource.query(
      `SELECT pending.count AS pending, dead.count AS dead,
              (SELECT (extract(epoch FROM clock_timestamp() - created_at) * 1000)::double precision
               FROM outbox WHERE status = '${OutboxStatus.Pending}' ORDER BY created_at LIMIT 1) AS "oldestPendingAgeMs",
              (SELECT reltuples FROM pg_class WHERE oid = to_regclass('outbox_pending_available_idx'))::double precision
                AS "pendingEstimate",
              (SELECT reltuples FROM pg_class WHERE oid = to_regclass('outbox_dead_created_at_idx'))::double precision
                AS "deadEstimate"
       FROM (SELECT count(*)::int AS count FROM (SELECT FROM outbox WHERE status = '${OutboxStatus.Pending}' LIMIT $1) AS rows) AS pending,
            (SELECT count(*)::int AS count FROM (SELECT FROM outbox WHERE status = '${OutboxStatus.Dead}' LIMIT $1) AS rows) AS dead`,
      [BACKLOG_COUNTED_UP_TO + 1],
    )) as [BacklogRow | undefined];
    if (!row) throw new Error('outbox backlog: the query returned no row');
    const counted = (count: number, estimate: number | null) =>
      count <= BACKLOG_COUNTED_UP_TO ? count : Math.max(BACKLOG_COUNTED_UP_TO, Math.round(estimate ?? 0));
    return {
      pending: counted(row.pending, row.pendingEstimate),
      dead: counted(row.dead, row.deadEstimate),
      exact: row.pending <= BACKLOG_COUNTED_UP_TO && row.dead <= BACKLOG_COUNTED_UP_TO,
      oldestPendingAgeMs: row.oldestPendingAgeMs === null ? null : Math.max(0, Math.round(row.oldestPendingAgeMs)),
    };
  }

  /** Every status counted, and the backlog's age (for operators: it reads the whole table). */
  async stats(): Promise<OutboxStats> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = '${OutboxStatus.Pending}')::int AS pending,
              count(*) FILTER (WHERE status = '${OutboxStatus.Dispatched}')::int AS dispatched,
              count(*) FILTER (WHERE status = '${OutboxStatus.Dead}')::int AS dead,
              (extract(epoch FROM clock_timestamp() - min(created_at) FILTER (WHERE status = '${OutboxStatus.Pending}')) * 1000)::double precision
                AS "oldestPendingAgeMs"
       FROM outbox`,
    )) as [{ pending: number; dispatched: number; dead: number; oldestPendingAgeMs: number | null }];
    return { ...row, oldestPendingAgeMs: row.oldestPendingAgeMs === null ? null : Math.max(0, Math.round(row.oldestPendingAgeMs)) };
  }

  /**
   * Counts per event type. Cost is bounded whatever the number of dispatched
   * rows kept: pending and dead rows are read through their partial indexes
   * (outbox_pending_available_idx, outbox_dead_created_at_idx), dispatched rows
   * only within `recentMs`, a range of outbox_dispatched_at_idx. `now()`, not
   * `clock_timestamp()`, so the range is an index condition (see claimDue).
   */
  async countsByEventType(recentMs: number): Promise<EventTypeCounts[]> {
    return (await this.dataSource.query(
      `SELECT event_type AS "eventType",
              count(*) FILTER (WHERE status = '${OutboxStatus.Pending}')::int AS pending,
              count(*) FILTER (WHERE status = '${OutboxStatus.Dead}')::int AS dead,
              count(*) FILTER (WHERE status = '${OutboxStatus.Dispatched}')::int AS "dispatchedRecently"
       FROM (
         SELECT event_type, status FROM outbox WHERE status = '${OutboxStatus.Pending}'
         UNION ALL
         SELECT event_type, status FROM outbox WHERE status = '${OutboxStatus.Dead}'
         UNION ALL
         SELECT event_type, status FROM outbox
         WHERE status = '${OutboxStatus.Dispatched}' AND dispatched_at > now() - make_interval(secs => $1::double precision / 1000)
       ) AS counted
       GROUP BY event_type ORDER BY event_type`,
      [recentMs],
    )) as EventTypeCounts[];
  }

  /**
   * Dispatch lag (dispatched_at - created_at) over the `sampleSize` rows
   * dispatched last: a backward scan of outbox_dispatched_at_idx that stops
   * after the sample, so it costs the same with a thousand rows or millions.
   * Null when nothing was dispatched yet.
   */
  async dispatchLag(sampleSize: number): Promise<DispatchLag | null> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS sampled,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms) AS "medianMs",
              percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_ms) AS "p95Ms",
              max(lag_ms) AS "maxMs"
       FROM (
         SELECT (extract(epoch FROM dispatched_at - created_at) * 1000)::double precision AS lag_ms
         FROM outbox WHERE status = '${OutboxStatus.Dispatched}'
         ORDER BY dispatched_at DESC LIMIT $1
       ) AS latest`,
      [sampleSize],
    )) as [{ sampled: number; medianMs: number | null; p95Ms: number | null; maxMs: number | null }];
    if (row.sampled === 0) return null;
    // A row dispatched in the transaction that wrote it can read a hair below zero: clocks are not the point here.
    const ms = (value: number | null) => Math.max(0, Math.round(value ?? 0));
    return { sampled: row.sampled, medianMs: ms(row.medianMs), p95Ms: ms(row.p95Ms), maxMs: ms(row.maxMs) };
  }

  /** Dead rows, oldest first (through outbox_dead_created_at_idx). */
  async dead(limit: number): Promise<DeadOutboxRow[]> {
    return (await this.dataSource.query(
      `SELECT id, event_type AS "eventType", attempts, last_error AS "lastError", created_at AS "createdAt"
       FROM outbox WHERE status = '${OutboxStatus.Dead}' ORDER BY created_at, id LIMIT $1`,
      [limit],
    )) as DeadOutboxRow[];
  }

  /**
   * Puts the selected rows back to pending with attempts reset, due at once,
   * so the relay delivers them on its next run. Redelivery is safe: job ids
   * are derived from the event, and consumers record what they have done.
   * With `dryRun` nothing changes; the rows that would be requeued are returned.
   */
  async requeue(selection: RequeueSelection, options: { dryRun?: boolean } = {}): Promise<RequeuedRow[]> {
    // Postgres prints uuids in lower case; compare them that way.
    const ids = [...new Set((selection.ids ?? []).map((id) => id.toLowerCase()))];
    if (!selection.allDead && ids.length === 0 && selection.stuckOlderThanMs === undefined) {
      throw new OutboxRowError('nothing selected: name dead rows (all or by id) or an age for stuck pending rows');
    }
    const params = [selection.allDead ?? false, ids, selection.stuckOlderThanMs ?? null];
    return this.dataSource.transaction(async (manager) => {
      await this.assertDead(manager, ids);
      let rows: RequeuedRow[];
      if (options.dryRun) {
        rows = (await manager.query(`SELECT ${ROW_COLUMNS} FROM outbox o WHERE ${CANDIDATES}`, params)) as RequeuedRow[];
      } else {
        [rows] = (await manager.query(
          `WITH chosen AS (SELECT ${ROW_COLUMNS} FROM outbox o WHERE ${CANDIDATES} FOR UPDATE)
           UPDATE outbox SET status = '${OutboxStatus.Pending}', attempts = 0, available_at = clock_timestamp()
           FROM chosen WHERE outbox.id = chosen.id
           RETURNING chosen.*`,
          params,
        )) as [RequeuedRow[], number];
      }
      return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    });
  }

  /** Dispatched rows delivered within the last `sinceMs`, a page at a time (keyset on id). */
  async dispatchedSince(sinceMs: number, afterId: string | null, limit: number): Promise<ClaimedRow[]> {
    return (await this.dataSource.query(
      `SELECT ${STORED_EVENT_COLUMNS}
       FROM outbox o
       WHERE status = '${OutboxStatus.Dispatched}'
         AND dispatched_at > clock_timestamp() - make_interval(secs => $1::double precision / 1000)
         AND ($2::uuid IS NULL OR id > $2::uuid)
       ORDER BY id LIMIT $3`,
      [sinceMs, afterId, limit],
    )) as ClaimedRow[];
  }

  /**
   * Dispatched events of a range, oldest first, a page at a time (keyset on
   * occurred_at, id, read through outbox_event_type_occurred_at_idx). Pending
   * rows are left out: the relay delivers them to every reaction anyway; dead
   * rows are outbox:requeue's business. `manager`: inside a caller's transaction.
   */
  async replayPage(
    range: ReplayRange,
    after: ReplayCursor | null,
    limit: number,
    manager: Pick<EntityManager, 'query'> = this.dataSource,
  ): Promise<ReplayPage> {
    const rows = (await manager.query(
      `SELECT ${STORED_EVENT_COLUMNS}, to_char(o.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorAt"
       FROM outbox o
       WHERE o.event_type = $1 AND o.status = '${OutboxStatus.Dispatched}'
         AND o.occurred_at >= $2 AND o.occurred_at < $3
         AND ($4::timestamptz IS NULL OR (o.occurred_at, o.id) > ($4::timestamptz, $5::uuid))
       ORDER BY o.occurred_at, o.id LIMIT $6`,
      [range.eventType, range.since, range.until, after?.occurredAt ?? null, after?.id ?? null, limit],
    )) as (ClaimedRow & { cursorAt: string })[];
    const last = rows.at(-1);
    return {
      rows: rows.map(({ cursorAt: _, ...row }) => row),
      next: last && rows.length === limit ? { occurredAt: last.cursorAt, id: last.id } : null,
      last: last ? { occurredAt: last.cursorAt, id: last.id } : null,
    };
  }

  /** Rows of an event type within [since, until), counted per status. */
  async countInRange(range: ReplayRange): Promise<Record<OutboxStatus, number>> {
    const rows = (await this.dataSource.query(
      `SELECT status, count(*)::int AS n FROM outbox
       WHERE event_type = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY status`,
      [range.eventType, range.since, range.until],
    )) as { status: OutboxStatus; n: number }[];
    const counts: Record<OutboxStatus, number> = { pending: 0, dispatched: 0, dead: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** Puts dispatched rows back to pending, due now: the relay delivers them again. */
  async redeliver(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [, changed] = (await this.dataSource.query(
      `UPDATE outbox SET status = '${OutboxStatus.Pending}', attempts = 0, available_at = clock_timestamp(), dispatched_at = NULL
       WHERE id = ANY($1::uuid[]) AND status = '${OutboxStatus.Dispatched}'`,
      [ids],
    )) as [unknown, number];
    return changed;
  }

  /** Deletes dispatched rows delivered longer ago than `olderThanMs`, batch by batch; returns how many. */
  async prune(olderThanMs: number, batchSize = PRUNE_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.pruneDispatchedBatch(olderThanMs, batchSize);
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  /**
   * Deletes at most `limit` dispatched rows delivered longer ago than
   * `olderThanMs`, in one short statement (its own transaction). Rows another
   * transaction holds are skipped, so pruning never waits on the relay or a
   * dispatch; `now()` (stable) makes the age an index condition on
   * outbox_dispatched_at_idx.
   */
  async pruneDispatchedBatch(olderThanMs: number, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox
         WHERE status = '${OutboxStatus.Dispatched}'
           AND dispatched_at < now() - make_interval(secs => $1::double precision / 1000)
         LIMIT $2
         FOR UPDATE SKIP LOCKED)`,
      [olderThanMs, limit],
    )) as [unknown, number];
    return deleted;
  }

  private async assertDead(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = (await manager.query(`SELECT id, status FROM outbox WHERE id = ANY($1::uuid[]) FOR UPDATE`, [ids])) as {
      id: string;
      status: OutboxStatus;
    }[];
    const status = new Map(found.map((row) => [row.id, row.status]));
    const unknown = ids.filter((id) => !status.has(id));
    if (unknown.length > 0) throw new OutboxRowError(`unknown outbox id ${unknown.join(', ')}`);
    const notDead = ids.filter((id) => status.get(id) !== OutboxStatus.Dead);
    if (notDead.length > 0) {
      throw new OutboxRowError(
        `outbox row ${notDead.map((id) => `${id} is ${status.get(id)}`).join(', ')}, not dead (stuck pending rows are requeued by age)`,
      );
    }
  }
}
