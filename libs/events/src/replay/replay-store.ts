import type { DataSource } from 'typeorm';
import { InboxStatus } from '../inbox/inbox-record.entity.js';
import type { ReplayCursor, ReplayRange } from '../outbox/replay-rows.js';
import { formatReplayCursor, parseReplayCursor } from './replay-cursor.js';

/** What defines a replay; a rerun under the same id must say the same. */
export interface ReplayDefinition extends Omit<ReplayRange, 'until'> {
  readonly replayId: string;
  /** One reaction, or null for every reaction to the event type. */
  readonly reaction: string | null;
  /** Absent: open, fixed to the first run's time. */
  readonly until?: Date;
  readonly reprocess: boolean;
}

/** A replay as stored. */
export interface StoredReplay extends Required<ReplayDefinition> {
  /** When a step last deleted inbox records (null: none yet, or not a reprocess). */
  readonly inboxClearedAt: Date | null;
  /** Inbox records deleted by all its runs together, per reaction. */
  readonly inboxCleared: Record<string, number> | null;
  /** After the last event delivered; null before the first. */
  readonly cursor: ReplayCursor | null;
  readonly runs: number;
}

/** One job a replay step is about to add: the inbox record it may clear is (consumer = reaction, event). */
export interface ReplayPair {
  readonly reaction: string;
  readonly eventId: string;
}

/** Inbox records of a step's deliveries, per reaction: those a reprocess deletes (done) and those it leaves alone (claimed). */
export interface InboxTally {
  readonly done: Record<string, number>;
  readonly inProgress: Record<string, number>;
}

/** A replay id was used before with other arguments. */
export class ReplayMismatchError extends Error {
  constructor(replayId: string, differences: string[]) {
    super(`replay ${replayId} was started with other arguments (${differences.join('; ')}); give a new --replay-id or the same arguments`);
    this.name = 'ReplayMismatchError';
  }
}

const REPLAY_COLUMNS = `replay_id AS "replayId", event_type AS "eventType", reaction, since, until, reprocess,
  inbox_cleared_at AS "inboxClearedAt", inbox_cleared AS "inboxCleared", cursor, runs`;

type ReplayRow = Omit<StoredReplay, 'cursor'> & { cursor: string | null };

const stored = (row: ReplayRow): StoredReplay => ({ ...row, cursor: row.cursor === null ? null : parseReplayCursor(row.cursor) });

/**
 * The one owner of the `outbox_replays` table, and of the inbox deletes a
 * reprocess makes. The events of a range are read through ReplayRows.
 *
 * A run of a replay goes step by step (a page of events): it checks which
 * of the step's jobs exist already, deletes (reprocess) the inbox records of
 * only the (reaction, event) pairs it is about to queue, queues them, then
 * advances the cursor. Stopped anywhere, a rerun redoes at most the step it
 * was in, and that step's jobs already queued are neither queued nor
 * cleared again.
 */
export class ReplayStore {
  constructor(private readonly dataSource: DataSource) {}

  async find(replayId: string): Promise<StoredReplay | null> {
    const [row] = (await this.dataSource.query(`SELECT ${REPLAY_COLUMNS} FROM outbox_replays WHERE replay_id = $1`, [replayId])) as
      ReplayRow[] | [];
    return row ? stored(row) : null;
  }

  /** The database's clock: the end of an open range. */
  async now(): Promise<Date> {
    const [row] = (await this.dataSource.query(`SELECT clock_timestamp() AS now`)) as [{ now: Date }];
    return row.now;
  }

  /** Records the replay, or finds it and checks that it is the same one. */
  async begin(definition: ReplayDefinition): Promise<{ replay: StoredReplay; resumed: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      // INSERT answers its RETURNING rows (UPDATE and DELETE answer [rows, count]).
      const inserted = (await manager.query(
        `INSERT INTO outbox_replays (replay_id, event_type, reaction, since, until, reprocess)
         VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, clock_timestamp()), $6)
         ON CONFLICT (replay_id) DO NOTHING
         RETURNING replay_id`,
        [definition.replayId, definition.eventType, definition.reaction, definition.since, definition.until ?? null, definition.reprocess],
      )) as unknown[];
      const [row] = (await manager.query(`SELECT ${REPLAY_COLUMNS} FROM outbox_replays WHERE replay_id = $1`, [definition.replayId])) as [
        ReplayRow,
      ];
      const replay = stored(row);
      const differences = differencesOf(definition, replay);
      if (differences.length > 0) throw new ReplayMismatchError(definition.replayId, differences);
      return { replay, resumed: inserted.length === 0 };
    });
  }

  /**
   * Deletes (with `remove`; else only counts) the done inbox records of
   * exactly these (reaction, event) pairs: the jobs a reprocess step is about
   * to queue. Records still claimed (a delivery under way) are left to finish.
   */
  async clearInbox(pairs: readonly ReplayPair[], remove: boolean): Promise<InboxTally> {
    const done: Record<string, number> = {};
    const inProgress: Record<string, number> = {};
    for (const { reaction } of pairs) {
      done[reaction] = 0;
      inProgress[reaction] = 0;
    }
    if (pairs.length === 0) return { done, inProgress };
    const params = [pairs.map((pair) => pair.reaction), pairs.map((pair) => pair.eventId)];
    const matching = `(consumer, event_id) IN (SELECT * FROM unnest($1::varchar[], $2::uuid[]))`;
    await this.dataSource.transaction(async (manager) => {
      const counts = (await manager.query(
        `SELECT consumer, status, count(*)::int AS n FROM inbox WHERE ${matching} GROUP BY consumer, status`,
        params,
      )) as { consumer: string; status: InboxStatus; n: number }[];
      for (const { consumer, status, n } of counts) (status === InboxStatus.Done ? done : inProgress)[consumer] = n;
      if (remove) await manager.query(`DELETE FROM inbox WHERE ${matching} AND status = $3`, [...params, InboxStatus.Done]);
    });
    return { done, inProgress };
  }

  /** After a step's jobs are queued: the replay continues after `cursor`; `cleared` is added to its inbox totals. */
  async advance(replayId: string, cursor: ReplayCursor, cleared: Record<string, number>): Promise<void> {
    const deleted = Object.values(cleared).reduce((sum, n) => sum + n, 0);
    await this.dataSource.transaction(async (manager) => {
      const [row] = (await manager.query(`SELECT inbox_cleared AS "inboxCleared" FROM outbox_replays WHERE replay_id = $1 FOR UPDATE`, [
        replayId,
      ])) as [{ inboxCleared: Record<string, number> | null }];
      const totals = { ...(row.inboxCleared ?? {}) };
      for (const [reaction, n] of Object.entries(cleared)) totals[reaction] = (totals[reaction] ?? 0) + n;
      await manager.query(
        `UPDATE outbox_replays SET cursor = $2,
           inbox_cleared = CASE WHEN $3::int > 0 THEN $4::jsonb ELSE inbox_cleared END,
           inbox_cleared_at = CASE WHEN $3::int > 0 THEN clock_timestamp() ELSE inbox_cleared_at END
         WHERE replay_id = $1`,
        [replayId, formatReplayCursor(cursor), deleted, JSON.stringify(totals)],
      );
    });
  }

  /** Notes one more (non-dry) run of the replay. */
  async recordRun(replayId: string): Promise<void> {
    await this.dataSource.query(`UPDATE outbox_replays SET runs = runs + 1, last_run_at = clock_timestamp() WHERE replay_id = $1`, [
      replayId,
    ]);
  }
}

function differencesOf(wanted: ReplayDefinition, stored: StoredReplay): string[] {
  const differences: string[] = [];
  const same = (a: Date, b: Date) => a.getTime() === b.getTime();
  if (wanted.eventType !== stored.eventType) differences.push(`type ${stored.eventType}`);
  if (wanted.reaction !== stored.reaction) differences.push(`reaction ${stored.reaction ?? '(all)'}`);
  if (!same(wanted.since, stored.since)) differences.push(`since ${stored.since.toISOString()}`);
  if (wanted.until && !same(wanted.until, stored.until)) differences.push(`until ${stored.until.toISOString()}`);
  if (wanted.reprocess !== stored.reprocess) differences.push(stored.reprocess ? 'with --reprocess' : 'without --reprocess');
  return differences;
}
