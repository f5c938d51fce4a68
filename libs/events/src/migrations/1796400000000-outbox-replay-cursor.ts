import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a replay stands: the (occurred_at, id) of the last event it delivered,
 * so `outbox:replay --limit N` run again continues after it instead of
 * starting over (issue 19, item 4). Existing replays start with none: their
 * next run goes over their range once more, its jobs already queued counted
 * as such.
 */
export class OutboxReplayCursor1796400000000 implements MigrationInterface {
  name = 'OutboxReplayCursor1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox_replays" ADD "cursor" character varying(80)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox_replays" DROP COLUMN "cursor"`);
  }
}
