import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { HeraldConfig } from '@herald/config';
import { OutboxStatus } from './outbox-record.entity.js';

const pending = `o.status = '${OutboxStatus.Pending}'`;

/**
 * The mark: `$1` the rows' ids. Only pending rows change (a dispatched or dead
 * row keeps its values), so a late second dispatch is harmless.
 *
 * The rows are named by primary key and nothing else: a `status = 'pending'`
 * condition in the WHERE would let the planner read the whole pending partial
 * index instead (with stale statistics it believes that index nearly empty:
 * 3,150 entries read for 32 rows in the bench). The status is checked in the
 * SET, on the row version the UPDATE locked.
 */
export const MARK_DISPATCHED_SQL = `UPDATE outbox o
  SET status = CASE WHEN ${pending} THEN '${OutboxStatus.Dispatched}' ELSE o.status END,
      dispatched_at = CASE WHEN ${pending} THEN clock_timestamp() ELSE o.dispatched_at END,
      last_error = CASE WHEN ${pending} THEN NULL ELSE o.last_error END
  FROM unnest($1::uuid[]) AS t(id)
  WHERE o.id = t.id`;

/**
 * Marks outbox rows dispatched, once the job sink acknowledged their jobs, on
 * a connection of its own: a pool of one, built from DATABASE_URL, not the
 * TypeORM pool the API's transactions wait on (a mark must never queue in
 * front of a commit). The pool opens a new connection when the last one broke
 * (a Postgres restart), and is closed on shutdown, after the dispatch drained.
 *
 * A mark is the cheapest statement herald sends, because losing one costs only
 * a redelivery: the row stays pending, the relay delivers it again after the
 * grace period, and the derived job id (or, once that job is gone, the inbox)
 * makes the repeat a no-op. Hence:
 * - `synchronous_commit = off` for this connection only: its commits do not
 *   wait for (or ask for) a WAL flush — the next business commit flushes them.
 *   A mark lost to a Postgres crash is such a redelivery; a committed event is
 *   never at stake (its row was written durably by its own transaction).
 * - the rows are found by primary key alone (MARK_DISPATCHED_SQL).
 */
@Injectable()
export class OutboxMarks implements OnApplicationShutdown {
  private readonly logger = new Logger(OutboxMarks.name);
  private readonly pool: pg.Pool;

  constructor(config: HeraldConfig) {
    const { database } = config;
    this.pool = new pg.Pool({
      connectionString: database.url,
      max: 1,
      application_name: 'herald-outbox-marks',
      // Fail fast when Postgres is away: the marks waiting meanwhile are bounded and dropped, not queued forever.
      connectionTimeoutMillis: 5000,
      statement_timeout: database.statementTimeoutMs,
      lock_timeout: database.lockTimeoutMs,
      options: '-c synchronous_commit=off',
    });
    // An idle connection that breaks (Postgres restarted) is dropped from the pool; the next mark opens a new one.
    // Without a listener the error would crash the process.
    this.pool.on('error', (error) => this.logger.warn({ msg: 'outbox marks connection lost; the next mark reconnects', err: error }));
  }

  /**
   * Marks rows dispatched; only pending rows change (a dispatched or dead row
   * keeps its values), so a late second dispatch is harmless.
   *
   * The statement names the rows by primary key and nothing else: a
   * `status = 'pending'` condition in the WHERE would let the planner read the
   * whole pending partial index instead (with stale statistics it believes
   * that index nearly empty: 3,150 entries read for 32 rows in the bench), so
   * the status is checked in the SET, on the row version the UPDATE locked.
   */
  /** Marks these rows dispatched (MARK_DISPATCHED_SQL); rejects when Postgres did not take the statement. */
  async markDispatched(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.pool.query(MARK_DISPATCHED_SQL, [ids]);
  }

  /** After every module's beforeApplicationShutdown: the dispatch and the relay have drained their marks by then. */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
