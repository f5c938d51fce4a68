import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox records a delivery in two steps — `claimed` in a short transaction
 * before the side effect, `done` in another after it — so no transaction is
 * held across an SMTP conversation. Existing rows were all completed.
 */
export class InboxClaims1795934500000 implements MigrationInterface {
  name = 'InboxClaims1795934500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "inbox" RENAME COLUMN "processed_at" TO "claimed_at"`);
    await queryRunner.query(`ALTER TABLE "inbox" ADD "status" character varying(16) NOT NULL DEFAULT 'done'`);
    await queryRunner.query(`ALTER TABLE "inbox" ALTER COLUMN "status" SET DEFAULT 'claimed'`);
    await queryRunner.query(`ALTER TABLE "inbox" ADD "claimed_by" character varying(200)`);
    await queryRunner.query(`ALTER TABLE "inbox" ADD "claimed_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "inbox" ADD "attempts" integer NOT NULL DEFAULT '1'`);
    await queryRunner.query(`ALTER TABLE "inbox" ADD "completed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`UPDATE "inbox" SET "completed_at" = "claimed_at"`);
    await queryRunner.query(`ALTER TABLE "inbox" ADD CONSTRAINT "inbox_status_check" CHECK ("status" IN ('claimed', 'done'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // A claimed row was never completed: without the status it would read as done, so it goes.
    await queryRunner.query(`DELETE FROM "inbox" WHERE "status" = 'claimed'`);
    await queryRunner.query(`ALTER TABLE "inbox" DROP CONSTRAINT "inbox_status_check"`);
    await queryRunner.query(`ALTER TABLE "inbox" DROP COLUMN "completed_at"`);
    await queryRunner.query(`ALTER TABLE "inbox" DROP COLUMN "attempts"`);
    await queryRunner.query(`ALTER TABLE "inbox" DROP COLUMN "claimed_until"`);
    await queryRunner.query(`ALTER TABLE "inbox" DROP COLUMN "claimed_by"`);
    await queryRunner.query(`ALTER TABLE "inbox" DROP COLUMN "status"`);
    await queryRunner.query(`ALTER TABLE "inbox" RENAME COLUMN "claimed_at" TO "processed_at"`);
  }
}
