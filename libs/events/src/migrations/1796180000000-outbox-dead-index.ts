import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A partial index of dead outbox rows, so the dead-letter gauge counts them without reading the whole table. */
export class OutboxDeadIndex1796180000000 implements MigrationInterface {
  name = 'OutboxDeadIndex1796180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "outbox_dead_created_at_idx" ON "outbox"  ("created_at") WHERE "status" = 'dead'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."outbox_dead_created_at_idx"`);
  }
}
