/** One batch: deletes at most `limit` prunable rows in ONE short statement and returns how many it deleted. */
export type PruneBatch = (limit: number) => Promise<number>;

/**
 * The one pruning loop (the scheduled retention of every table, and the ops
 * CLI's outbox:prune): runs `batch` until one deletes fewer rows than
 * `batchSize`, when the table holds nothing more to prune. Each batch is its
 * own short statement, so a pass never holds a lock for longer than one
 * batch. Between batches it pauses as long as the last one took: pruning
 * gets at most half of the time it runs in, so a large backlog cannot crowd
 * out live traffic on Postgres's CPU (it takes twice as long instead).
 * `afterBatch` sees each batch's count as it commits, so a pass that fails
 * half-way has counted what it did.
 */
export async function pruneInBatches(
  batchSize: number,
  batch: PruneBatch,
  afterBatch: (deleted: number) => void = () => undefined,
): Promise<{ deleted: number; batches: number }> {
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const batchStarted = performance.now();
    const count = await batch(batchSize);
    batches += 1;
    deleted += count;
    afterBatch(count);
    if (count < batchSize) return { deleted, batches };
    await new Promise((resolve) => setTimeout(resolve, performance.now() - batchStarted));
  }
}
