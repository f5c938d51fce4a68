import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HeraldConfig } from '@herald/config';
import { Retention, retentionEveryMs, type PruneResult } from '@herald/events';
import { defineScheduledJob, JobHandler, MaintenanceQueue } from '@herald/jobs';

/** The one-time token tables of the users context (verification, password reset). */
const TOKEN_TABLES = ['email_verification_tokens', 'password_reset_tokens'] as const;
/** Account requests the worker never resolved (its job failed for good): they hold an address. */
const ACCOUNT_REQUESTS = 'account_requests';

/** Prunes spent one-time tokens. NEVER rename it: the name is its schedule's id in Redis. */
export const PruneUserTokens = defineScheduledJob({ name: 'prune-user-tokens', queue: MaintenanceQueue, everyMs: retentionEveryMs });

/**
 * Retention of one-time tokens: a token is spent from the moment it was used,
 * revoked or expired, whichever came first (LEAST ignores the NULLs), and is
 * deleted TOKEN_RETENTION_HOURS later. Until then a spent token is still
 * found, and answered as used or expired. Each table's `*_spent_at_idx`
 * (on that LEAST expression) serves the age condition.
 *
 * The same pass deletes account requests still unresolved TOKEN_RETENTION_HOURS
 * after they were made (a resolved one is deleted at once; one left behind
 * means its job failed for good, and a link that late is of no use).
 */
@Injectable()
export class TokenRetention implements OnModuleInit {
  constructor(
    private readonly retention: Retention,
    private readonly config: HeraldConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    for (const table of [...TOKEN_TABLES, ACCOUNT_REQUESTS]) this.retention.track(table);
  }

  @JobHandler(PruneUserTokens)
  async run(): Promise<Record<string, number>> {
    const results = await this.prune();
    return Object.fromEntries(results.map((result) => [result.table, result.deleted]));
  }

  /** One pass over both token tables and the unresolved account requests, batch by batch. */
  async prune(): Promise<PruneResult[]> {
    const olderThanMs = this.config.retention.tokenHours * 3_600_000;
    const batchSize = this.config.retention.batchSize;
    const results: PruneResult[] = [];
    for (const table of TOKEN_TABLES) {
      results.push(await this.retention.inBatches(table, batchSize, (limit) => this.pruneBatch(table, olderThanMs, limit)));
    }
    results.push(await this.retention.inBatches(ACCOUNT_REQUESTS, batchSize, (limit) => this.pruneRequests(olderThanMs, limit)));
    return results;
  }

  private async pruneBatch(table: (typeof TOKEN_TABLES)[number], olderThanMs: number, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM ${table} WHERE selector IN (
         SELECT selector FROM ${table}
         WHERE LEAST(used_at, revoked_at, expires_at) < now() - make_interval(secs => $1::double precision / 1000)
         LIMIT $2
         FOR UPDATE SKIP LOCKED)`,
      [olderThanMs, limit],
    )) as [unknown, number];
    return deleted;
  }

  private async pruneRequests(olderThanMs: number, limit: number): Promise<number> {
    const [, deleted] = (await this.dataSource.query(
      `DELETE FROM ${ACCOUNT_REQUESTS} WHERE id IN (
         SELECT id FROM ${ACCOUNT_REQUESTS}
         WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
         LIMIT $2
         FOR UPDATE SKIP LOCKED)`,
      [olderThanMs, limit],
    )) as [unknown, number];
    return deleted;
  }
}
