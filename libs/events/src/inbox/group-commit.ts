/** One caller's item waiting for the write that carries it. */
interface Member<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for small writes that each caller must see durable before it
 * goes on (an inbox "done"): when no write is in flight an item is written at
 * once, alone, so a lone caller waits for nothing; items that arrive while a
 * write is in flight wait for it and then go together, in one statement and
 * one commit. Under load the groups grow by themselves, idle there is no
 * delay: no timer, no size to wait for.
 *
 * Each caller's promise settles with its group's write: resolved once the
 * write committed, rejected with the write's error if it failed (every member
 * of a failed group, so each caller retries on its own).
 */
export class GroupCommit<T> {
  private queued: Member<T>[] = [];
  private writing = false;

  /**
   * @param write writes one group in one statement; resolves once committed.
   * @param maxGroup the most items one write carries (the rest go in the next).
   */
  constructor(
    private readonly write: (items: readonly T[]) => Promise<void>,
    private readonly maxGroup = 500,
  ) {
    if (maxGroup < 1) throw new RangeError('GroupCommit needs a group of at least one item');
  }

  /** Resolves once the write carrying `item` committed. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.next();
    });
  }

  /** Items waiting for a write (not counting the one in flight). */
  get waiting(): number {
    return this.queued.length;
  }

  private next(): void {
    if (this.writing || this.queued.length === 0) return;
    const group = this.queued.splice(0, this.maxGroup);
    this.writing = true;
    new Promise<void>((resolve) => resolve(this.write(group.map((member) => member.item))))
      .then(
        () => group.forEach((member) => member.resolve()),
        (error: unknown) => group.forEach((member) => member.reject(error)),
      )
      .finally(() => {
        this.writing = false;
        this.next();
      });
  }
}
