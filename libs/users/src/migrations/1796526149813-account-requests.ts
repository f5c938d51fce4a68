import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account requests (issue 19, item 2): register, resend verification and
 * password reset record the request (its address, and for a registration the
 * password's hash) and nothing else on the request path; the worker resolves
 * and deletes it. A new, empty table; the index serves retention's age condition.
 *
 * The users' open verification and reset requests (item 8): a link is minted
 * only for the latest request, while the address is unverified (verification)
 * or the credentials unchanged since (reset). Nullable columns without a
 * default: no table rewrite, a brief lock only. They are filled from the
 * outbox, so requests in flight at deploy time still get their link: the
 * latest request event of each user, unless the address was verified since
 * (verification) or a later PasswordChanged closed it (reset). One pass over
 * the outbox rows of those types.
 */
export class AccountRequests1796526149813 implements MigrationInterface {
  name = 'AccountRequests1796526149813';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "account_requests" ("id" uuid NOT NULL, "kind" character varying(32) NOT NULL, "email" character varying(254) NOT NULL, "password_hash" text, "display_name" character varying(100), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d64de2bc3d07c4e3bba400a5561" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "account_requests_created_at_idx" ON "account_requests"  ("created_at") `);
    await queryRunner.query(`ALTER TABLE "users" ADD "open_verification_request" uuid`);
    await queryRunner.query(`ALTER TABLE "users" ADD "open_password_reset_request" uuid`);
    // Event ids are UUIDv7: ordered by time.
    await queryRunner.query(
      `UPDATE "users" u SET "open_verification_request" = latest.id
       FROM (SELECT DISTINCT ON (aggregate_id) aggregate_id, id FROM "outbox"
             WHERE event_type IN ('users.UserRegistered', 'users.VerificationEmailRequested')
             ORDER BY aggregate_id, id DESC) latest
       WHERE latest.aggregate_id = u.id AND u.email_verified_at IS NULL`,
    );
    await queryRunner.query(
      `UPDATE "users" u SET "open_password_reset_request" = latest.id
       FROM (SELECT DISTINCT ON (aggregate_id) aggregate_id, id FROM "outbox"
             WHERE event_type = 'users.PasswordResetRequested'
             ORDER BY aggregate_id, id DESC) latest
       WHERE latest.aggregate_id = u.id
         AND NOT EXISTS (SELECT 1 FROM "outbox" changed
                         WHERE changed.aggregate_id = u.id AND changed.event_type = 'users.PasswordChanged' AND changed.id > latest.id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "open_password_reset_request"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "open_verification_request"`);
    await queryRunner.query(`DROP INDEX "public"."account_requests_created_at_idx"`);
    await queryRunner.query(`DROP TABLE "account_requests"`);
  }
}
