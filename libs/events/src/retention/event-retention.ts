import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HeraldConfig } from '@herald/config';
import { pruneDoneInboxBatch } from '../inbox/inbox-pruning.js';
import { pruneDispatchedOutboxBatch } from '../outbox/outbox-pruning.js';
import { pruneInBatches } from './prune-in-batches.js';
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
      pruneDispatchedOutboxBatch(this.dataSource, outboxHours * HOUR_MS, limit),
    );
    const inbox = await this.retention.inBatches('inbox', batchSize, (limit) =>
      pruneDoneInboxBatch(this.dataSource, inboxHours * HOUR_MS, limit),
    );
    return [outbox, inbox];
  }
}

/**
 * Dispatched outbox rows delivered longer ago than `olderThanMs`, deleted
 * outside the schedule (ops CLI `outbox:prune`): the same statement and the
 * same loop as the scheduled retention, without its metrics (the CLI serves none).
 */
export async function pruneDispatchedOutbox(db: Pick<DataSource, 'query'>, olderThanMs: number, batchSize: number): Promise<PruneResult> {
  const { deleted, batches } = await pruneInBatches(batchSize, (limit) => pruneDispatchedOutboxBatch(db, olderThanMs, limit));
  return { table: 'outbox', deleted, batches };
}
