import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replays of committed events (ops CLI `outbox:replay`): what each replay is
 * and when it cleared inbox records, so a rerun continues it; and an index to
 * read one event type's outbox rows by time.
 */
export class OutboxReplays1796100000000 implements MigrationInterface {
  name = 'OutboxReplays1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outbox_replays" ("replay_id" character varying(40) NOT NULL, "event_type" character varying(200) NOT NULL, "reaction" character varying(100), "since" TIMESTAMP WITH TIME ZONE NOT NULL, "until" TIMESTAMP WITH TIME ZONE NOT NULL, "reprocess" boolean NOT NULL DEFAULT false, "inbox_cleared_at" TIMESTAMP WITH TIME ZONE, "inbox_cleared" jsonb, "runs" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_run_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "outbox_replays_pkey" PRIMARY KEY ("replay_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "outbox_event_type_occurred_at_idx" ON "outbox" ("event_type", "occurred_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."outbox_event_type_occurred_at_idx"`);
    await queryRunner.query(`DROP TABLE "outbox_replays"`);
  }
}
