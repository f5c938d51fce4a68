import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context of the work that recorded each event, so the relay's
 * late delivery still joins the request's trace. Nullable, no default: adding
 * it rewrites nothing, and untraced events (tracing off) store null.
 */
export class OutboxTraceparent1796200000000 implements MigrationInterface {
  name = 'OutboxTraceparent1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox" ADD "traceparent" character varying(55)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox" DROP COLUMN "traceparent"`);
  }
}
