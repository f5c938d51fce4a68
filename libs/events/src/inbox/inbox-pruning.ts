import type { DataSource } from 'typeorm';
import { OutboxStatus } from '../outbox/outbox-record.entity.js';
import { InboxStatus } from './inbox-record.entity.js';

/**
 * Retention's statement on the inbox: deletes at most `limit` done records
 * completed longer ago than `olderThanMs`, found through
 * inbox_done_completed_at_idx (`now()` is stable, so it is an index
 * condition). A record whose event is still pending or dead in the outbox is
 * kept whatever its age: a requeue may deliver that event again. Records
 * still claimed are never pruned (their delivery's outcome is unknown).
 */
export async function pruneDoneInboxBatch(db: Pick<DataSource, 'query'>, olderThanMs: number, limit: number): Promise<number> {
  const [, deleted] = (await db.query(
    `DELETE FROM inbox WHERE (consumer, event_id) IN (
       SELECT i.consumer, i.event_id FROM inbox i
       WHERE i.status = '${InboxStatus.Done}'
         AND i.completed_at < now() - make_interval(secs => $1::double precision / 1000)
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = i.event_id AND o.status <> '${OutboxStatus.Dispatched}')
       LIMIT $2
       FOR UPDATE OF i SKIP LOCKED)`,
    [olderThanMs, limit],
  )) as [unknown, number];
  return deleted;
}
