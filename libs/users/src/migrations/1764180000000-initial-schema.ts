import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, verification tokens, the transactional outbox and the consumer inbox. */
export class InitialSchema1764180000000 implements MigrationInterface {
  name = 'InitialSchema1764180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outbox" ("id" uuid NOT NULL, "event_type" character varying(200) NOT NULL, "schema_version" integer NOT NULL, "aggregate_id" uuid NOT NULL, "payload" jsonb NOT NULL, "correlation_id" character varying(128) NOT NULL, "causation_id" character varying(128), "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "available_at" TIMESTAMP WITH TIME ZONE NOT NULL, "dispatched_at" TIMESTAMP WITH TIME ZONE, "last_error" text, CONSTRAINT "outbox_status_check" CHECK ("status" IN ('pending', 'dispatched', 'dead')), CONSTRAINT "PK_340ab539f309f03bdaa14aa7649" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "outbox_dispatched_at_idx" ON "outbox"  ("dispatched_at") WHERE "status" = 'dispatched'`);
    await queryRunner.query(`CREATE INDEX "outbox_pending_available_idx" ON "outbox"  ("available_at") WHERE "status" = 'pending'`);
    await queryRunner.query(
      `CREATE TABLE "inbox" ("consumer" character varying(100) NOT NULL, "event_id" uuid NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_625a303addbbe1f30d3f65ed7fe" PRIMARY KEY ("consumer", "event_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL, "email" character varying(254) NOT NULL, "password_hash" text NOT NULL, "display_name" character varying(100), "email_verified_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "email_verification_tokens" ("selector" character varying(32) NOT NULL, "user_id" uuid NOT NULL, "verifier_hash" character varying(64) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_22d0bbd8806ec40dba226828380" PRIMARY KEY ("selector"))`,
    );
    await queryRunner.query(`CREATE INDEX "email_verification_tokens_user_id_idx" ON "email_verification_tokens"  ("user_id") `);
    await queryRunner.query(
      `ALTER TABLE "email_verification_tokens" ADD CONSTRAINT "email_verification_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "email_verification_tokens" DROP CONSTRAINT "email_verification_tokens_user_id_fkey"`);
    await queryRunner.query(`DROP INDEX "public"."email_verification_tokens_user_id_idx"`);
    await queryRunner.query(`DROP TABLE "email_verification_tokens"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP TABLE "inbox"`);
    await queryRunner.query(`DROP INDEX "public"."outbox_pending_available_idx"`);
    await queryRunner.query(`DROP INDEX "public"."outbox_dispatched_at_idx"`);
    await queryRunner.query(`DROP TABLE "outbox"`);
  }
}
