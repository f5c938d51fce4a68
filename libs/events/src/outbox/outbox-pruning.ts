import type { DataSource } from 'typeorm';
import { OutboxStatus } from './outbox-record.entity.js';

/**
 * Retention's statement on the outbox: deletes at most `limit` dispatched
 * rows delivered longer ago than `olderThanMs`, in one short statement (its
 * own transaction). Rows another transaction holds are skipped, so pruning
 * never waits on the relay or a dispatch; `now()` (stable) makes the age an
 * index condition on outbox_dispatched_at_idx. Pending and dead rows are
 * never pruned.
 */
export async function pruneDispatchedOutboxBatch(db: Pick<DataSource, 'query'>, olderThanMs: number, limit: number): Promise<number> {
  const [, deleted] = (await db.query(
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
