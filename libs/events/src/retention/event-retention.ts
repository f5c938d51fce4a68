import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HeraldConfig } from '@herald/config';
import { InboxStatus } from '../inbox/inbox-record.entity.js';
import { OutboxStatus } from '../outbox/outbox-record.entity.js';
import { OutboxStore } from '../outbox/outbox-store.js';
import { Retention, type PruneResult } from './retention.js';

const HOUR_MS = 3_600_000;

/**
 * Retention of the event platform's own tables: dispatched outbox rows after
 * OUTBOX_RETENTION_HOURS, done inbox records after INBOX_RETENTION_HOURS (the
 * configuration refuses an inbox retention shorter than any redelivery window).
 * Pending and dead outbox rows are never pruned, nor are inbox records still
 * claimed (their delivery's outcome is unknown).
 */
@Injectable()
export class EventRetention implements OnModuleInit {
  constructor(
    private readonly retention: Retention,
    private readonly outbox: OutboxStore,
    private readonly config: HeraldConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.retention.track('outbox');
    this.retention.track('inbox');
  }

  /** One pass over both tables, batch by batch. */
  async prune(): Promise<PruneResult[]> {
    const { batchSize, outboxHours, inboxHours } = this.config.retention;
    const outbox = await this.retention.inBatches('outbox', batchSize, (limit) =>
      this.outbox.pruneDispatchedBatch(outboxHours * HOUR_MS, limit),
    );
    const inbox = await this.retention.inBatches('inbox', batchSize, (limit) => this.pruneInboxBatch(inboxHours * HOUR_MS, limit));
    return [outbox, inbox];
  }

  /**
   * One batch of done inbox records completed longer ago than `olderThanMs`,
   * found through inbox_done_completed_at_idx (`now()` is stable, so it is an
   * index condition). A record whose event is still pending or dead in the
   * outbox is kept whatever its age: a requeue may deliver that event again.
   */
  private async pruneInboxBatch(olderThanMs: number, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
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
}
