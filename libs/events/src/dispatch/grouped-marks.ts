/** Most row ids in one UPDATE: a relay batch is 1,000; a group of several stays one bounded statement. */
export const MAX_MARK_GROUP = 5000;

/**
 * Marks outbox rows dispatched in groups: one UPDATE at a time, and the ids
 * that arrive while it runs go together in the next one — group commit again,
 * for the step after Redis acknowledged the jobs. Under load each dispatch
 * then costs Postgres a share of an UPDATE instead of one of its own: every
 * UPDATE is a commit, and commits are what the API's transactions wait on.
 */
export class GroupedMarks {
  private readonly waiting: { ids: readonly string[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly markDispatched: (ids: readonly string[]) => Promise<unknown>) {}

  /** Resolves when an UPDATE that included `ids` has committed; rejects with its error. */
  mark(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ ids, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.takeGroup();
        try {
          await this.markDispatched(group.flatMap((entry) => entry.ids));
          for (const entry of group) entry.resolve();
        } catch (error) {
          for (const entry of group) entry.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The waiting entries, oldest first, up to MAX_MARK_GROUP ids (always at least one entry). */
  private takeGroup(): typeof this.waiting {
    let ids = 0;
    let count = 0;
    while (count < this.waiting.length && (count === 0 || ids + this.waiting[count]!.ids.length <= MAX_MARK_GROUP)) {
      ids += this.waiting[count]!.ids.length;
      count++;
    }
    return this.waiting.splice(0, count);
  }
}
