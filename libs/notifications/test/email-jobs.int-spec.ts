import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { EFFECT_PERFORMED_AT, JobProducer, type JobContext } from '@herald/jobs';
import { AccountEmails, EmailQueue, SendPasswordResetEmail, SendVerificationEmail, SendWelcomeEmail } from '@herald/notifications';
import { WorkerModule } from '../../../apps/worker/src/worker.module.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../../../test/support/test-redis.js';
import { SmtpSink } from '../../../test/support/smtp-sink.js';
import { testConfig } from '../../../test/support/test-config.js';
import { withRedis } from '../../../test/support/pipeline-harness.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { TEST_REDIS_URL } from '../../../test/support/env.js';

/**
 * A job run's context as the worker runtime builds it for a job added by hand (delivered under its job name),
 * with the journal kept in memory.
 */
function jobRun(eventId: string, claimant = `test.${randomUUID()}`): JobContext & { journal: { notes: number } } {
  const journal = {
    notes: 0,
    performed: async () => journal.notes > 0,
    notePerformed: async () => {
      journal.notes++;
    },
  };
  return { jobId: claimant, attempt: 1, journal, delivery: { key: { consumer: SendVerificationEmail.name, eventId }, claimant, journal } };
}

describe('Worker email jobs (in process, real Postgres, Redis and SMTP)', () => {
  const smtp = new SmtpSink();
  let db: TestDatabase;
  let prefix: string;
  let worker: INestApplicationContext;
  let emailJobs: AccountEmails;
  let queue: Queue;

  const createUser = async (email: string, verified = false) => {
    const id = uuidv7();
    await db.query(`INSERT INTO users (id, email, password_hash, display_name, email_verified_at) VALUES ($1, $2, 'x', 'Test', $3)`, [
      id,
      email,
      verified ? new Date() : null,
    ]);
    return id;
  };
  /** Runs the verification email job's handler as a fresh job (its own claimant and journal) would. */
  const sendVerification = (job: { eventId: string; userId: string; correlationId: string }, claimant?: string) =>
    emailJobs.sendVerificationEmail(job, jobRun(job.eventId, claimant));
  const openTokens = async (userId: string) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM email_verification_tokens WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL',
        [userId],
      )
    )[0]!.n;
  const inboxRow = async (eventId: string) =>
    (await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM inbox WHERE event_id = $1', [eventId]))[0];

  /** The SMTP sink holds every mail it received in full until the returned function is called. */
  function holdMails(): () => void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    smtp.beforeAccept = () => released;
    return release;
  }

  /** A connection of the test's own, to hold locks or change things the worker must then cope with. */
  async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await smtp.start();
    db = await createTestDatabase();
    prefix = uniqueQueuePrefix();
    const config = testConfig(db.url, prefix, { SMTP_URL: smtp.url, WORKER_CONCURRENCY: '2', JOB_BACKOFF_MS: '200' });
    const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
    worker = await module.createNestApplication({ logger: false }).init();
    emailJobs = worker.get(AccountEmails);
    queue = new Queue(EmailQueue.name, { connection: { url: TEST_REDIS_URL }, prefix });
  });

  afterEach(() => {
    smtp.delayMs = 0;
    smtp.beforeAccept = undefined;
  });

  afterAll(async () => {
    await queue.close();
    await worker.close();
    await db.drop();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    await smtp.stop();
  });

  it('sends a verification email once however often the job is delivered, storing only the token hash', async () => {
    const userId = await createUser('once@example.com');
    const job = { eventId: uuidv7(), userId, correlationId: 'c-1' };
    const context = jobRun(job.eventId);
    expect(await emailJobs.sendVerificationEmail(job, context)).toBe('processed');
    expect(await emailJobs.sendVerificationEmail(job, context)).toBe('processed'); // the journal says it was sent
    expect(await sendVerification(job)).toBe('duplicate'); // the inbox says so
    const results = await Promise.all([sendVerification(job), sendVerification(job)]);
    expect(results).toEqual(['duplicate', 'duplicate']);

    expect(smtp.to('once@example.com', SendVerificationEmail.name)).toHaveLength(1);
    expect(await inboxRow(job.eventId)).toEqual({ status: 'done', attempts: 1 });
    const tokens = await db.query<{ selector: string; verifier_hash: string }>(
      'SELECT selector, verifier_hash FROM email_verification_tokens WHERE user_id = $1',
      [userId],
    );
    expect(tokens).toHaveLength(1);
    const mailText = smtp.to('once@example.com')[0]!.text;
    const [, verifier] = /token=[^.\s]+\.([\w-]+)/.exec(mailText)!;
    expect(tokens[0]!.verifier_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens[0]!.verifier_hash).not.toContain(verifier);
  });

  it('a second verification email revokes the first token and leaves exactly one open', async () => {
    const userId = await createUser('twice@example.com');
    for (const eventId of [uuidv7(), uuidv7()]) {
      expect(await sendVerification({ eventId, userId, correlationId: 'c-twice' })).toBe('processed');
    }
    const tokens = await db.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM email_verification_tokens WHERE user_id = $1 ORDER BY revoked DESC',
      [userId],
    );
    expect(tokens.map((token) => token.revoked)).toEqual([true, false]);
  });

  it('leaves exactly one open token when two verification emails for one user are sent at the same time', async () => {
    const userId = await createUser('together@example.com');
    // The first mail is held at the server until both jobs have minted their link: surely both under way at once.
    smtp.beforeAccept = async () => {
      await waitFor('both jobs to have minted a link', async () => {
        const [minted] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM email_verification_tokens WHERE user_id = $1', [
          userId,
        ]);
        return minted!.n === 2;
      });
    };
    const outcomes = await Promise.all(
      [uuidv7(), uuidv7()].map((eventId) => sendVerification({ eventId, userId, correlationId: 'c-together' })),
    );
    expect(outcomes).toEqual(['processed', 'processed']);
    expect(smtp.to('together@example.com')).toHaveLength(2);
    expect(await openTokens(userId)).toBe(1);
  });

  it('sends nothing and leaves no open token when the user verifies while the job waits for the user row', async () => {
    const userId = await createUser('raced@example.com');
    const eventId = uuidv7();
    const outcome = await withClient(async (client) => {
      // The API's verification holds the user's row lock, about to commit "verified" (VerifyEmailHandler).
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      await client.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [userId]);
      const job = sendVerification({ eventId, userId, correlationId: 'c-raced' });
      await waitFor('the job to wait for the user row lock', async () => {
        const waiting = await client.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        return waiting.rowCount === 1;
      });
      await client.query('COMMIT');
      return job;
    });
    expect(outcome).toBe('skipped');
    expect(smtp.to('raced@example.com')).toHaveLength(0);
    expect(await openTokens(userId)).toBe(0);
    expect(await inboxRow(eventId)).toEqual({ status: 'done', attempts: 1 });
  });

  it('mails a reset link for the open request only: two reset emails at once leave exactly one open reset link', async () => {
    const userId = await createUser('reset@example.com', true);
    const [superseded, latest] = [uuidv7(), uuidv7()];
    await db.query('UPDATE users SET open_password_reset_request = $2 WHERE id = $1', [userId, latest]); // as the users context records it
    const jobs = [superseded, latest].map((eventId) =>
      emailJobs.sendPasswordResetEmail({ eventId, userId, correlationId: 'c-reset' }, jobRun(eventId)),
    );
    // The open request's mail is held at the server until the superseded request's job is done: both under way at once.
    smtp.beforeAccept = () => jobs[0]!.then(() => undefined);
    const outcomes = await Promise.all(jobs);
    expect(outcomes).toEqual(['skipped', 'processed']);
    const mails = smtp.to('reset@example.com', SendPasswordResetEmail.name);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toMatch(/\/reset-password\?token=/);
    const open = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL',
      [userId],
    );
    expect(open).toEqual([{ n: 1 }]);
  });

  it('sends no verification email to an already verified user', async () => {
    const userId = await createUser('done@example.com', true);
    expect(await sendVerification({ eventId: uuidv7(), userId, correlationId: 'c-2' })).toBe('skipped');
    expect(smtp.to('done@example.com')).toHaveLength(0);
  });

  it('holds no transaction and no row lock while the SMTP server takes its time', async () => {
    const userId = await createUser('slow@example.com');
    const release = holdMails(); // the server takes its time: until the checks below are done
    const job = sendVerification({ eventId: uuidv7(), userId, correlationId: 'c-slow' });
    await waitFor('the mail to be with the SMTP server', () => smtp.receiving === 1);
    await withClient(async (client) => {
      const inTransaction = await client.query(
        `SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
      );
      expect(inTransaction.rows).toEqual([]);
      // What the API's verification locks: the user's row and tokens. NOWAIT fails at once if anyone holds them.
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE NOWAIT', [userId]);
      await client.query('SELECT 1 FROM email_verification_tokens WHERE user_id = $1 FOR UPDATE NOWAIT', [userId]);
      await client.query('ROLLBACK');
    }).finally(release);
    expect(await job).toBe('processed');
  });

  it('leaves the delivery claimed but not done when SMTP fails, and the retry sends the email', async () => {
    const userId = await createUser('retry@example.com');
    const job = { eventId: uuidv7(), userId, correlationId: 'c-3' };
    const context = jobRun(job.eventId);
    await smtp.stop();
    try {
      await expect(emailJobs.sendVerificationEmail(job, context)).rejects.toThrow();
    } finally {
      await smtp.start();
    }
    expect(await inboxRow(job.eventId)).toEqual({ status: 'claimed', attempts: 1 });
    expect(context.journal.notes).toBe(0);

    expect(await emailJobs.sendVerificationEmail(job, context)).toBe('processed');
    expect(smtp.to('retry@example.com')).toHaveLength(1);
    expect(await inboxRow(job.eventId)).toEqual({ status: 'done', attempts: 2 });
    expect(await openTokens(userId)).toBe(1); // the first attempt's token, which the retry sent
  });

  it("sends the first attempt's message on a retry that takes over the delivery: the same token, body and Message-ID", async () => {
    const userId = await createUser('same-message@example.com');
    const job = { eventId: uuidv7(), userId, correlationId: 'c-same' };
    // The server takes the mail in full, then recording it fails (no journal: the retry must send again).
    smtp.beforeAccept = async () => {
      smtp.beforeAccept = undefined;
      await withClient((client) => client.query(`SET lock_timeout = '2s'; ALTER TABLE inbox RENAME TO inbox_away`));
    };
    const claimant = `test.${randomUUID()}`;
    const withoutJournal = (): JobContext => ({
      jobId: claimant,
      attempt: 1,
      delivery: { key: { consumer: SendVerificationEmail.name, eventId: job.eventId }, claimant },
    });
    await expect(emailJobs.sendVerificationEmail(job, withoutJournal())).rejects.toThrow(/inbox/);
    await withClient((client) => client.query('ALTER TABLE inbox_away RENAME TO inbox'));
    expect(await emailJobs.sendVerificationEmail(job, withoutJournal())).toBe('processed');

    const [first, retry] = smtp.to('same-message@example.com');
    expect(retry).toBeDefined();
    expect({ subject: retry!.subject, text: retry!.text, html: retry!.html, messageId: retry!.raw.messageId }).toEqual({
      subject: first!.subject,
      text: first!.text,
      html: first!.html,
      messageId: first!.raw.messageId,
    });
    // One token row: the retry handed out the first attempt's token again, and it is open (the link works).
    const tokens = await db.query<{ selector: string }>('SELECT selector FROM email_verification_tokens WHERE user_id = $1', [userId]);
    expect(tokens).toHaveLength(1);
    expect(first!.text).toContain(`token=${tokens[0]!.selector}.`);
    expect(await openTokens(userId)).toBe(1);
  });

  it('makes another claimant wait while a delivery is under way, instead of sending alongside it', async () => {
    const userId = await createUser('claimed@example.com');
    const job = { eventId: uuidv7(), userId, correlationId: 'c-claimed' };
    const release = holdMails(); // the first delivery stays under way until the second claimant was turned away
    const first = sendVerification(job, 'job-a');
    await waitFor('the first delivery to be with the SMTP server', () => smtp.receiving === 1);
    await expect(sendVerification(job, 'job-b'))
      .rejects.toThrow(/being delivered .* by another worker/)
      .finally(release);
    expect(await first).toBe('processed');
    expect(await sendVerification(job, 'job-b')).toBe('duplicate');
    expect(smtp.to('claimed@example.com')).toHaveLength(1);
  });

  it('does not send a mail again when recording it in Postgres failed after the SMTP server accepted it', async () => {
    const userId = await createUser('accepted@example.com');
    const eventId = uuidv7();
    // Right before the "250", recording the delivery becomes impossible (as in a database restart).
    smtp.beforeAccept = async () => {
      smtp.beforeAccept = undefined;
      await withClient((client) => client.query(`SET lock_timeout = '2s'; ALTER TABLE inbox RENAME TO inbox_away`));
    };
    await queue.add(
      SendWelcomeEmail.name,
      { eventId, userId, correlationId: 'c-accepted' },
      {
        jobId: `test.${eventId}`,
        attempts: 5,
        backoff: { type: 'fixed', delay: 1000 }, // time to put the table back
      },
    );
    const failedOnce = await waitFor('the first attempt to fail', async () => {
      const job = await queue.getJob(`test.${eventId}`);
      return job && job.attemptsMade >= 1 ? job : null;
    });
    expect(failedOnce.failedReason).toMatch(/inbox/);
    expect(failedOnce.progress).toEqual({ [EFFECT_PERFORMED_AT]: expect.any(String) });
    await withClient((client) => client.query('ALTER TABLE inbox_away RENAME TO inbox'));

    await waitFor('the job to complete', async () => (await queue.getJob(`test.${eventId}`))?.isCompleted());
    expect(smtp.to('accepted@example.com')).toHaveLength(1);
    expect(await inboxRow(eventId)).toEqual({ status: 'done', attempts: 1 });
  });

  it('delivers once per (reaction, event): two reactions to one event send two mails, and a repeat of either sends none', async () => {
    const userId = await createUser('queued@example.com');
    const data = { eventId: uuidv7(), userId, correlationId: 'c-4' };
    const jobIds = ['test-a.', 'test-b.'].map((reaction) => reaction + data.eventId);
    const enqueue = () =>
      worker.get(JobProducer).enqueue(jobIds.map((jobId) => ({ target: SendWelcomeEmail, data, jobId, timestamp: Date.now() })));
    const completed = () =>
      waitFor('both jobs to complete', async () => {
        const jobs = await Promise.all(jobIds.map((id) => queue.getJob(id)));
        return (await Promise.all(jobs.map((job) => job?.isCompleted()))).every(Boolean);
      });

    await enqueue();
    await completed();
    expect(smtp.to('queued@example.com', SendWelcomeEmail.name)).toHaveLength(2);

    // The same jobs again, as after a redelivery once the completed jobs were gone.
    for (const id of jobIds) await (await queue.getJob(id))!.remove();
    await enqueue();
    await completed();
    expect(smtp.to('queued@example.com', SendWelcomeEmail.name)).toHaveLength(2);
  });

  it('fails a job with invalid data at once, with the reason, and goes on with the next job', async () => {
    const bad = await queue.add(
      SendWelcomeEmail.name,
      { eventId: 'not-a-uuid', userId: randomUUID(), correlationId: 'c-5', email: 'x@example.com' },
      { attempts: 5 },
    );
    const userId = await createUser('after-bad@example.com');
    await queue.add(SendWelcomeEmail.name, { eventId: uuidv7(), userId, correlationId: 'c-6' });

    await smtp.waitForMail('after-bad@example.com', SendWelcomeEmail.name);
    const failed = await waitFor('the bad job to fail', async () => {
      const job = await queue.getJob(bad.id!);
      return (await job?.isFailed()) ? job : null;
    });
    expect(failed.failedReason).toMatch(/Invalid payload for job "send-welcome-email".*eventId/);
    expect(failed.attemptsMade).toBe(1);
  });
});
