import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes that serve retention's age conditions: done inbox records by
 * completion time, and one-time tokens by the moment they were spent (used,
 * revoked or expired, whichever came first). Built CONCURRENTLY, so a
 * deployment with large tables keeps taking registrations while they build;
 * that needs a migration outside a transaction. (Reverting runs in one:
 * TypeORM wraps every revert in a transaction, so `down` drops plainly.)
 */
export class RetentionIndexes1796000000000 implements MigrationInterface {
  name = 'RetentionIndexes1796000000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "inbox_done_completed_at_idx" ON "inbox" ("completed_at") WHERE "status" = 'done'`,
    );
    for (const table of ['email_verification_tokens', 'password_reset_tokens']) {
      await queryRunner.query(
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS "${table}_spent_at_idx" ON "${table}" ((LEAST("used_at", "revoked_at", "expires_at")))`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['password_reset_tokens', 'email_verification_tokens']) {
      await queryRunner.query(`DROP INDEX IF EXISTS "public"."${table}_spent_at_idx"`);
    }
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."inbox_done_completed_at_idx"`);
  }
}
