import type { DataSource, EntityManager } from 'typeorm';
import { InboxStatus } from './inbox-record.entity.js';
import type { OutboxStore, ReplayCursor, ReplayRange } from './outbox-store.js';

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
  readonly inboxClearedAt: Date | null;
  readonly inboxCleared: Record<string, number> | null;
  readonly runs: number;
}

/** Inbox records of a range, per reaction: those a reprocess deletes (done) and those it leaves alone (claimed). */
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

/** Outbox rows read per page while clearing or counting inbox records. */
const PAGE = 500;

const REPLAY_COLUMNS = `replay_id AS "replayId", event_type AS "eventType", reaction, since, until, reprocess,
  inbox_cleared_at AS "inboxClearedAt", inbox_cleared AS "inboxCleared", runs`;

/**
 * The one owner of the `outbox_replays` table, and of the inbox deletes a
 * reprocess makes. The events of a range are read through the OutboxStore.
 */
export class ReplayStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxStore,
  ) {}

  async find(replayId: string): Promise<StoredReplay | null> {
    const [row] = (await this.dataSource.query(`SELECT ${REPLAY_COLUMNS} FROM outbox_replays WHERE replay_id = $1`, [replayId])) as
      StoredReplay[] | [];
    return row ?? null;
  }

  /** The database's clock: the end of an open range. */
  async now(): Promise<Date> {
    const [row] = (await this.dataSource.query(`SELECT clock_timestamp() AS now`)) as [{ now: Date }];
    return row.now;
  }

  /**
   * Records the replay (or finds it, checking that it is the same one) and,
   * for a reprocess whose inbox records were never cleared, deletes the done
   * records of its reactions for the range — all in one transaction, so a
   * run stopped half way cleared nothing, and a rerun never clears again.
   * Records still claimed (a delivery under way) are left to finish.
   */
  async begin(
    definition: ReplayDefinition,
    reactions: readonly string[],
  ): Promise<{ replay: StoredReplay; resumed: boolean; cleared: InboxTally | null }> {
    return this.dataSource.transaction(async (manager) => {
      // INSERT answers its RETURNING rows (UPDATE and DELETE answer [rows, count]).
      const inserted = (await manager.query(
        `INSERT INTO outbox_replays (replay_id, event_type, reaction, since, until, reprocess)
         VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, clock_timestamp()), $6)
         ON CONFLICT (replay_id) DO NOTHING
         RETURNING replay_id`,
        [definition.replayId, definition.eventType, definition.reaction, definition.since, definition.until ?? null, definition.reprocess],
      )) as unknown[];
      const [replay] = (await manager.query(`SELECT ${REPLAY_COLUMNS} FROM outbox_replays WHERE replay_id = $1 FOR UPDATE`, [
        definition.replayId,
      ])) as [StoredReplay];
      const differences = differencesOf(definition, replay);
      if (differences.length > 0) throw new ReplayMismatchError(definition.replayId, differences);
      if (!replay.reprocess || replay.inboxClearedAt) return { replay, resumed: inserted.length === 0, cleared: null };

      const cleared = await this.tally(replay, reactions, manager, true);
      const [[updated]] = (await manager.query(
        `UPDATE outbox_replays SET inbox_cleared_at = clock_timestamp(), inbox_cleared = $2::jsonb WHERE replay_id = $1
         RETURNING ${REPLAY_COLUMNS}`,
        [definition.replayId, JSON.stringify(cleared.done)],
      )) as [[StoredReplay], number];
      return { replay: updated, resumed: inserted.length === 0, cleared };
    });
  }

  /** What `begin` would delete for a reprocess of the range (a dry run). */
  async inboxToClear(range: ReplayRange, reactions: readonly string[]): Promise<InboxTally> {
    return this.tally(range, reactions, this.dataSource.manager, false);
  }

  /** Notes one more (non-dry) run of the replay. */
  async recordRun(replayId: string): Promise<void> {
    await this.dataSource.query(`UPDATE outbox_replays SET runs = runs + 1, last_run_at = clock_timestamp() WHERE replay_id = $1`, [
      replayId,
    ]);
  }

  /** Counts (and with `remove`, deletes the done ones of) the reactions' inbox records of the range's events. */
  private async tally(range: ReplayRange, reactions: readonly string[], manager: EntityManager, remove: boolean): Promise<InboxTally> {
    const done = Object.fromEntries(reactions.map((reaction) => [reaction, 0]));
    const inProgress = { ...done };
    let after: ReplayCursor | null = null;
    do {
      const page = await this.outbox.replayPage(range, after, PAGE, manager);
      const ids = page.rows.map((row) => row.id);
      if (ids.length > 0) {
        const counts = (await manager.query(
          `SELECT consumer, status, count(*)::int AS n FROM inbox
           WHERE consumer = ANY($1::varchar[]) AND event_id = ANY($2::uuid[]) GROUP BY consumer, status`,
          [reactions, ids],
        )) as { consumer: string; status: InboxStatus; n: number }[];
        for (const { consumer, status, n } of counts) (status === InboxStatus.Done ? done : inProgress)[consumer]! += n;
        if (remove) {
          await manager.query(`DELETE FROM inbox WHERE consumer = ANY($1::varchar[]) AND event_id = ANY($2::uuid[]) AND status = $3`, [
            reactions,
            ids,
            InboxStatus.Done,
          ]);
        }
      }
      after = page.next;
    } while (after);
    return { done, inProgress };
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
