import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { JobName, JobProducer, QueueName } from '@herald/jobs';
import { UserEmailJobs } from '@herald/users';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { testConfig } from '../support/test-config.js';
import { withRedis } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';
import { TEST_REDIS_URL } from '../support/env.js';

describe('Worker email jobs (in process, real Postgres, Redis and SMTP)', () => {
  const smtp = new SmtpSink();
  let db: TestDatabase;
  let prefix: string;
  let worker: INestApplicationContext;
  let emailJobs: UserEmailJobs;
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

  beforeAll(async () => {
    await smtp.start();
    db = await createTestDatabase();
    prefix = uniqueQueuePrefix();
    const config = testConfig(db.url, prefix, { SMTP_URL: smtp.url, WORKER_CONCURRENCY: '2' });
    const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
    worker = await module.createNestApplication({ logger: false }).init();
    emailJobs = worker.get(UserEmailJobs);
    queue = new Queue(QueueName.Email, { connection: { url: TEST_REDIS_URL }, prefix });
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
    expect(await emailJobs.sendVerificationEmail(job)).toBe('processed');
    expect(await emailJobs.sendVerificationEmail(job)).toBe('duplicate');
    const results = await Promise.all([emailJobs.sendVerificationEmail(job), emailJobs.sendVerificationEmail(job)]);
    expect(results).toEqual(['duplicate', 'duplicate']);

    expect(smtp.to('once@example.com', JobName.SendVerificationEmail)).toHaveLength(1);
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
      expect(await emailJobs.sendVerificationEmail({ eventId, userId, correlationId: 'c-twice' })).toBe('processed');
    }
    const tokens = await db.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM email_verification_tokens WHERE user_id = $1 ORDER BY revoked DESC',
      [userId],
    );
    expect(tokens.map((token) => token.revoked)).toEqual([true, false]);
  });

  it('sends no verification email to an already verified user', async () => {
    const userId = await createUser('done@example.com', true);
    expect(await emailJobs.sendVerificationEmail({ eventId: uuidv7(), userId, correlationId: 'c-2' })).toBe('processed');
    expect(smtp.to('done@example.com')).toHaveLength(0);
  });

  it('records nothing when SMTP fails, so the retry sends the email', async () => {
    const userId = await createUser('retry@example.com');
    const job = { eventId: uuidv7(), userId, correlationId: 'c-3' };
    await smtp.stop();
    try {
      await expect(emailJobs.sendVerificationEmail(job)).rejects.toThrow();
    } finally {
      await smtp.start();
    }
    expect(await db.query('SELECT 1 FROM inbox WHERE event_id = $1', [job.eventId])).toEqual([]);
    expect(await db.query('SELECT 1 FROM email_verification_tokens WHERE user_id = $1', [userId])).toEqual([]);
  });

  it('processes real jobs from the queue, each once, even when the same event is enqueued under two job ids', async () => {
    const userId = await createUser('queued@example.com');
    const data = { eventId: uuidv7(), userId, correlationId: 'c-4' };
    await worker.get(JobProducer).enqueue([
      { name: JobName.SendWelcomeEmail, data, jobId: 'test-a.' + data.eventId },
      { name: JobName.SendWelcomeEmail, data, jobId: 'test-b.' + data.eventId },
    ]);
    await waitFor('both jobs to complete', async () => (await queue.getJobCounts('completed')).completed >= 2);
    expect(smtp.to('queued@example.com', JobName.SendWelcomeEmail)).toHaveLength(1);
  });

  it('fails a job with invalid data at once, with the reason, and goes on with the next job', async () => {
    const bad = await queue.add(
      JobName.SendWelcomeEmail,
      { eventId: 'not-a-uuid', userId: randomUUID(), correlationId: 'c-5', email: 'x@example.com' },
      { attempts: 5 },
    );
    const userId = await createUser('after-bad@example.com');
    await queue.add(JobName.SendWelcomeEmail, { eventId: uuidv7(), userId, correlationId: 'c-6' });

    await smtp.waitForMail('after-bad@example.com', JobName.SendWelcomeEmail);
    const failed = await waitFor('the bad job to fail', async () => {
      const job = await queue.getJob(bad.id!);
      return (await job?.isFailed()) ? job : null;
    });
    expect(failed.failedReason).toMatch(/Invalid payload for job "send-welcome-email".*eventId/);
    expect(failed.attemptsMade).toBe(1);
  });
});
