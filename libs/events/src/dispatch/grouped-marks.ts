import { setTimeout as sleep } from 'node:timers/promises';

/** Most row ids in one UPDATE: a relay batch is at most 5,000; a group of several stays one bounded statement. */
export const MAX_MARK_GROUP = 5000;

/** Why rows were not marked. Either way they stay pending and the relay delivers them again after the grace period. */
export type LostMark = 'backlog_full' | 'update_failed';

export interface GroupedMarksOptions {
  /** Most ids waiting for their UPDATE (the one under way not counted); a mark that does not fit is dropped. */
  readonly backlogLimit: number;
  /**
   * Least time from the start of one UPDATE to the start of the next: an idle
   * process marks at once, a busy one sends the ids of this time together.
   */
  readonly intervalMs: number;
  /** Told of every mark that will not happen. */
  readonly onLost: (ids: number, reason: LostMark, error?: unknown) => void;
  /** Waits out the rest of the interval (tests replace it). */
  readonly pause?: (ms: number) => Promise<void>;
}

interface WaitingMark {
  readonly ids: readonly string[];
  readonly settle: (marked: boolean) => void;
}

/**
 * Marks outbox rows dispatched in groups, off the dispatch's path: one UPDATE
 * at a time, at most one per interval, and the ids that arrive meanwhile go
 * together in the next — group commit again, for the step after Redis
 * acknowledged the jobs. Nothing waits for a mark before it sends jobs: a
 * mark only decides whether the relay will deliver the rows once more (a
 * no-op, by derived job ids and the inbox).
 *
 * Bounded: while Postgres is slow or away, marks beyond `backlogLimit` ids are
 * dropped, and a failed UPDATE is not retried; both are reported to `onLost`.
 */
export class GroupedMarks {
  private readonly waiting: WaitingMark[] = [];
  private waitingIds = 0;
  private inFlightIds = 0;
  private running: Promise<void> | undefined;
  private lastStart = -Infinity;

  constructor(
    private readonly markDispatched: (ids: readonly string[]) => Promise<unknown>,
    private readonly options: GroupedMarksOptions,
  ) {}

  /** Ids handed over and not yet marked or lost. */
  get pending(): number {
    return this.waitingIds + this.inFlightIds;
  }

  /**
   * Resolves true once an UPDATE that included `ids` committed, false when
   * the mark was dropped or its UPDATE failed. Never rejects. An idle
   * instance sends the UPDATE before it returns.
   */
  mark(ids: readonly string[]): Promise<boolean> {
    if (ids.length === 0) return Promise.resolve(true);
    if (this.waitingIds + ids.length > this.options.backlogLimit) {
      this.options.onLost(ids.length, 'backlog_full');
      return Promise.resolve(false);
    }
    return new Promise((settle) => {
      this.waiting.push({ ids, settle });
      this.waitingIds += ids.length;
      this.running ??= this.run();
    });
  }

  /** Sends groups until none waits; never rejects. */
  private async run(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const rest = this.lastStart + this.options.intervalMs - performance.now();
        if (rest > 0) await (this.options.pause ?? sleep)(rest);
        const group = this.takeGroup();
        const ids = group.flatMap((entry) => entry.ids);
        this.inFlightIds = ids.length;
        this.lastStart = performance.now();
        let marked = true;
        try {
          await this.markDispatched(ids);
        } catch (error) {
          marked = false;
          this.options.onLost(ids.length, 'update_failed', error);
        }
        this.inFlightIds = 0;
        for (const entry of group) entry.settle(marked);
      }
    } finally {
      this.running = undefined;
    }
  }

  /** The waiting entries, oldest first, up to MAX_MARK_GROUP ids (always at least one entry). */
  private takeGroup(): WaitingMark[] {
    let ids = 0;
    let count = 0;
    while (count < this.waiting.length && (count === 0 || ids + this.waiting[count]!.ids.length <= MAX_MARK_GROUP)) {
      ids += this.waiting[count]!.ids.length;
      count++;
    }
    this.waitingIds -= ids;
    return this.waiting.splice(0, count);
  }
}
