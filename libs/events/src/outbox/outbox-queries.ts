import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OutboxStatus } from './outbox-record.entity.js';

export interface OutboxStats {
  readonly pending: number;
  readonly dispatched: number;
  readonly dead: number;
  /** Milliseconds since the oldest pending row was committed; null when nothing is pending. */
  readonly oldestPendingAgeMs: number | null;
}

/**
 * How many rows the backlog reading counts one by one; beyond this many it
 * reports Postgres's estimate (OutboxQueries.backlog). 10,000 entries of a
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

/**
 * What operators read of the outbox (the metrics on every scrape, the outbox
 * console, the ops CLI); it changes nothing. Ages are computed by Postgres,
 * so no process's clock matters.
 */
@Injectable()
export class OutboxQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
   * `clock_timestamp()`, so the range is an index condition (see RelayClaims.claimDue).
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

  /** Lists dead rows, oldest first (through outbox_dead_created_at_idx). */
  async deadRows(limit: number): Promise<DeadOutboxRow[]> {
    return (await this.dataSource.query(
      `SELECT id, event_type AS "eventType", attempts, last_error AS "lastError", created_at AS "createdAt"
       FROM outbox WHERE status = '${OutboxStatus.Dead}' ORDER BY created_at, id LIMIT $1`,
      [limit],
    )) as DeadOutboxRow[];
  }
}
