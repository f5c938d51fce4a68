import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { OUTBOX_EVENT_COLUMNS, type OutboxEventRow } from './outbox-event-row.js';
import { OutboxStatus } from './outbox-record.entity.js';

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

/** An outbox id an operator named does not exist, or is not in a state the operation accepts. */
export class OutboxRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboxRowError';
  }
}

const CANDIDATES = `
  (o.status = '${OutboxStatus.Dead}' AND ($1::boolean OR o.id = ANY($2::uuid[])))
  OR (o.status = '${OutboxStatus.Pending}' AND $3::double precision IS NOT NULL
      AND o.created_at < clock_timestamp() - make_interval(secs => $3::double precision / 1000))`;

const ROW_COLUMNS = `o.id, o.event_type AS "eventType", o.attempts AS "previousAttempts", o.status AS "previousStatus",
  o.created_at AS "createdAt", o.last_error AS "lastError"`;

/**
 * What operators do to outbox rows (outbox console, ops CLI): requeue dead or
 * stuck rows, and, after Redis lost data, deliver dispatched rows again
 * (outbox:reconcile reads them with dispatchedSince). Every repair hands rows
 * back to the relay; redelivery is safe: job ids are derived from the event,
 * and consumers record what they have done.
 */
@Injectable()
export class OutboxRepairs {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Puts the selected rows back to pending with attempts reset, due at once,
   * so the relay delivers them on its next run. With `dryRun` nothing
   * changes; the rows that would be requeued are returned.
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
  async dispatchedSince(sinceMs: number, afterId: string | null, limit: number): Promise<OutboxEventRow[]> {
    return (await this.dataSource.query(
      `SELECT ${OUTBOX_EVENT_COLUMNS}
       FROM outbox o
       WHERE status = '${OutboxStatus.Dispatched}'
         AND dispatched_at > clock_timestamp() - make_interval(secs => $1::double precision / 1000)
         AND ($2::uuid IS NULL OR id > $2::uuid)
       ORDER BY id LIMIT $3`,
      [sinceMs, afterId, limit],
    )) as OutboxEventRow[];
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
