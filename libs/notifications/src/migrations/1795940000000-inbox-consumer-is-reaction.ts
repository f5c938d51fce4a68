import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The email jobs' inbox records were keyed by job name; they are keyed by the reaction that queued the job now. */
const REACTION_OF = [
  { job: 'send-verification-email', eventType: 'users.UserRegistered', reaction: 'verification-email-on-registration' },
  { job: 'send-verification-email', eventType: 'users.VerificationEmailRequested', reaction: 'verification-email-on-request' },
  { job: 'send-welcome-email', eventType: 'users.EmailVerified', reaction: 'welcome-email-on-verification' },
  {
    job: 'send-account-exists-notice',
    eventType: 'users.RegistrationAttemptedForExistingEmail',
    reaction: 'account-exists-notice-on-registration-attempt',
  },
];

/**
 * A delivery's identity is (reaction, event), for its job id and its inbox
 * record alike. Records whose outbox row was pruned keep their old key: their
 * event can no longer be delivered again anyway.
 */
export class InboxConsumerIsReaction1795940000000 implements MigrationInterface {
  name = 'InboxConsumerIsReaction1795940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const { job, eventType, reaction } of REACTION_OF) {
      await queryRunner.query(
        `UPDATE inbox i SET consumer = $3 FROM outbox o WHERE o.id = i.event_id AND i.consumer = $1 AND o.event_type = $2`,
        [job, eventType, reaction],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const { job, reaction } of REACTION_OF) {
      await queryRunner.query(`UPDATE inbox SET consumer = $1 WHERE consumer = $2`, [job, reaction]);
    }
  }
}
