import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead rows get a partial index of their own: the outbox console and the ops
 * CLI list and count them, and without it each look would scan every
 * dispatched row kept for audits.
 */
export class OutboxDeadIndex1796150000000 implements MigrationInterface {
  name = 'OutboxDeadIndex1796150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "outbox_dead_created_idx" ON "outbox" ("created_at", "id") WHERE "status" = 'dead'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."outbox_dead_created_idx"`);
  }
}
