import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Job, Queue } from 'bullmq';
import { replayJobId } from '@herald/events';
import { EmailQueue, SendPasswordResetEmail, SendVerificationEmail } from '@herald/notifications';
import {
  ChangePasswordCommand,
  ConfirmPasswordResetCommand,
  PasswordResetRequested,
  RegisterUserCommand,
  RequestPasswordResetCommand,
  ResendVerificationEmailCommand,
  UserRegistered,
  VerificationEmailRequested,
  VerifyEmailCommand,
} from '@herald/users';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { withRedis } from '../support/pipeline-harness.js';
import { SmtpSink, type ReceivedMail } from '../support/smtp-sink.js';
import { testConfig } from '../support/test-config.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase here';
const RESET_REACTION = 'password-reset-email-on-request';
const VERIFY_REACTIONS = {
  [UserRegistered.eventType]: 'verification-email-on-registration',
  [VerificationEmailRequested.eventType]: 'verification-email-on-request',
};

/**
 * Credential-bearing deliveries replayed (issue 19, item 8, its domain part):
 * a link is minted only for a request that is still open. The whole worker
 * runs in process (its job runtime consumes the queues): requests are resolved,
 * links minted and mailed as in production; a replay is delivered as
 * `outbox:replay --reprocess` delivers it — the delivery's inbox record
 * cleared, the same job data under a replay job id.
 */
describe('Minting reset and verification links only for open requests (in process worker, real Postgres, Redis and SMTP)', () => {
  const smtp = new SmtpSink();
  let db: TestDatabase;
  let prefix: string;
  let worker: INestApplicationContext;
  let commands: CommandBus;
  let emailQueue: Queue;
  let replays = 0;

  beforeAll(async () => {
    await smtp.start();
    db = await createTestDatabase();
    prefix = uniqueQueuePrefix();
    const config = testConfig(db.url, prefix, { SMTP_URL: smtp.url, APP_BASE_URL: 'http://herald.test' });
    const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
    worker = await module.createNestApplication({ logger: false }).init();
    commands = worker.get(CommandBus);
    emailQueue = new Queue(EmailQueue.name, { connection: { url: TEST_REDIS_URL }, prefix });
  });
  afterAll(async () => {
    await emailQueue?.close();
    await worker?.close();
    await db?.drop();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    await smtp.stop();
  });

  const tokenOf = (mail: ReceivedMail) => decodeURIComponent(/token=([^\s"&]+)/.exec(mail.text)![1]!);
  const userId = async (email: string) => (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]))[0]!.id;
  const requestEvents = async (id: string, type: string) =>
    (await db.query<{ id: string }>('SELECT id FROM outbox WHERE aggregate_id = $1 AND event_type = $2 ORDER BY id', [id, type])).map(
      (row) => row.id,
    );
  const openResetLinks = async (id: string) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL',
        [id],
      )
    )[0]!.n;

  /** A verified account, registered as the API does (the worker resolves the request and mails the link). */
  async function verifiedAccount(email: string): Promise<string> {
    await commands.execute(new RegisterUserCommand(email, PASSWORD));
    const [mail] = await smtp.waitForMail(email, SendVerificationEmail.name);
    await commands.execute(new VerifyEmailCommand(tokenOf(mail!)));
    return userId(email);
  }

  /** Asks for a reset link as the API does and waits for the mail; returns the request (its event id) and the link's token. */
  async function requestReset(email: string): Promise<{ request: string; token: string }> {
    const before = smtp.to(email, SendPasswordResetEmail.name).length;
    await commands.execute(new RequestPasswordResetCommand(email));
    const mails = await smtp.waitForMail(email, SendPasswordResetEmail.name, before + 1);
    const requests = await requestEvents(await userId(email), PasswordResetRequested.eventType);
    // The mail arrives before its delivery is recorded done: a replay must not start in between (its DELETE of the
    // inbox record would be undone by the original's completion, and the replay would find it done).
    await waitFor('the reset delivery recorded', async () => {
      const rows = await db.query<{ status: string }>('SELECT status FROM inbox WHERE event_id = $1', [requests.at(-1)!]);
      return rows.length > 0 && rows.every((row) => row.status === 'done');
    });
    return { request: requests.at(-1)!, token: tokenOf(mails.at(-1)!) };
  }

  /** Delivers a (reaction, event) again as `outbox:replay --reprocess` does, and returns the job's outcome once it completed. */
  async function replay(reaction: string, jobName: string, eventId: string, user: string): Promise<unknown> {
    await db.query('DELETE FROM inbox WHERE consumer = $1 AND event_id = $2', [reaction, eventId]);
    const jobId = replayJobId(reaction, eventId, `test${++replays}`);
    await emailQueue.add(jobName, { userId: user, eventId, correlationId: `replay-${replays}` }, { jobId });
    return waitFor(`replay job ${jobId} to finish`, async () => {
      const job = await Job.fromId(emailQueue, jobId);
      if (job?.failedReason) throw new Error(`replay job failed: ${job.failedReason}`);
      return job?.finishedOn ? { outcome: job.returnvalue as unknown } : null;
    }).then((finished) => finished.outcome);
  }

  describe('password reset', () => {
    it('a replayed request whose link was used mints nothing: no mail, no new link', async () => {
      const id = await verifiedAccount('used@example.com');
      const { request, token } = await requestReset('used@example.com');
      await commands.execute(new ConfirmPasswordResetCommand(token, NEW_PASSWORD));

      expect(await replay(RESET_REACTION, SendPasswordResetEmail.name, request, id)).toBe('skipped');

      expect(smtp.to('used@example.com', SendPasswordResetEmail.name)).toHaveLength(1);
      expect(await openResetLinks(id)).toBe(0);
    });

    it('a replayed request superseded by a newer one mints nothing, and the newer link keeps working', async () => {
      const id = await verifiedAccount('superseded@example.com');
      const first = await requestReset('superseded@example.com');
      const second = await requestReset('superseded@example.com');

      expect(await replay(RESET_REACTION, SendPasswordResetEmail.name, first.request, id)).toBe('skipped');

      expect(smtp.to('superseded@example.com', SendPasswordResetEmail.name)).toHaveLength(2);
      await commands.execute(new ConfirmPasswordResetCommand(second.token, NEW_PASSWORD)); // not revoked by the replay
    });

    it('a replayed request made before a password change mints nothing', async () => {
      const id = await verifiedAccount('changed@example.com');
      const { request } = await requestReset('changed@example.com');
      await commands.execute(new ChangePasswordCommand(id, PASSWORD, NEW_PASSWORD));

      expect(await replay(RESET_REACTION, SendPasswordResetEmail.name, request, id)).toBe('skipped');
      expect(smtp.to('changed@example.com', SendPasswordResetEmail.name)).toHaveLength(1);
      expect(await openResetLinks(id)).toBe(0);
    });

    it('a replayed request that is still open mails a new link (a lost mail can be sent again)', async () => {
      const id = await verifiedAccount('lost@example.com');
      const { request, token } = await requestReset('lost@example.com');

      expect(await replay(RESET_REACTION, SendPasswordResetEmail.name, request, id)).toBe('processed');

      const mails = smtp.to('lost@example.com', SendPasswordResetEmail.name);
      expect(mails).toHaveLength(2);
      expect(tokenOf(mails[1]!)).not.toBe(token);
      expect(await openResetLinks(id)).toBe(1);
    });
  });

  describe('email verification', () => {
    it('a replayed registration whose address was verified since mints nothing', async () => {
      const id = await verifiedAccount('verified@example.com');
      const [registered] = await requestEvents(id, UserRegistered.eventType);

      const outcome = await replay(VERIFY_REACTIONS[UserRegistered.eventType]!, SendVerificationEmail.name, registered!, id);

      expect(outcome).toBe('skipped');
      expect(smtp.to('verified@example.com', SendVerificationEmail.name)).toHaveLength(1);
    });

    it('a replayed registration superseded by a resend mints nothing, and the newer link keeps working', async () => {
      await commands.execute(new RegisterUserCommand('resent@example.com', PASSWORD));
      await smtp.waitForMail('resent@example.com', SendVerificationEmail.name);
      await commands.execute(new ResendVerificationEmailCommand('resent@example.com'));
      const [, latest] = await smtp.waitForMail('resent@example.com', SendVerificationEmail.name, 2);
      const id = await userId('resent@example.com');
      const [registered] = await requestEvents(id, UserRegistered.eventType);

      const outcome = await replay(VERIFY_REACTIONS[UserRegistered.eventType]!, SendVerificationEmail.name, registered!, id);

      expect(outcome).toBe('skipped');
      expect(smtp.to('resent@example.com', SendVerificationEmail.name)).toHaveLength(2);
      expect(await commands.execute(new VerifyEmailCommand(tokenOf(latest!)))).toMatchObject({ emailVerified: true });
    });
  });
});
