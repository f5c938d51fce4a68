import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { JobContext } from '@herald/jobs';
import { AccountEmails, SendVerificationEmail, SendWelcomeEmail } from '@herald/notifications';
import { WorkerModule } from '../../../apps/worker/src/worker.module.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../../../test/support/test-redis.js';
import { SmtpSink } from '../../../test/support/smtp-sink.js';
import { testConfig } from '../../../test/support/test-config.js';
import { withRedis } from '../../../test/support/pipeline-harness.js';
import { PostgresExchanges } from '../../../test/support/postgres-exchanges.js';

/** A first attempt of a job as the worker runtime runs it, its journal in memory. */
function firstAttempt(consumer: string, eventId: string): JobContext {
  const claimant = `${consumer}.${eventId}`;
  let performed = false;
  const journal = {
    performed: async () => performed,
    notePerformed: async () => {
      performed = true;
    },
  };
  return { jobId: claimant, attempt: 1, delivery: { key: { consumer, eventId }, claimant, journal } };
}

/** Transaction framing: what the unit of work sends around the job's own statements. */
const FRAMING = /^(BEGIN|SAVEPOINT|RELEASE|COMMIT)$/;

describe('What one email job costs in Postgres (round trips and commits, counted on the wire)', () => {
  const smtp = new SmtpSink();
  let db: TestDatabase;
  let prefix: string;
  let worker: INestApplicationContext;
  let emailJobs: AccountEmails;
  let exchanges: PostgresExchanges;

  const createUser = async (email: string) => {
    const id = uuidv7();
    await db.query(`INSERT INTO users (id, email, password_hash, display_name) VALUES ($1, $2, 'x', 'Test')`, [id, email]);
    return id;
  };

  beforeAll(async () => {
    await smtp.start();
    db = await createTestDatabase();
    prefix = uniqueQueuePrefix();
    const config = testConfig(db.url, prefix, { SMTP_URL: smtp.url });
    const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
    worker = await module.createNestApplication({ logger: false }).init();
    emailJobs = worker.get(AccountEmails);
    exchanges = PostgresExchanges.of(worker.get(DataSource));
  });

  afterAll(async () => {
    await worker.close();
    await db.drop();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    await smtp.stop();
  });

  it('a verification email (claim, user lock, token mint, send, complete)', async () => {
    const userId = await createUser(`cost-${randomUUID()}@example.com`);
    const eventId = uuidv7();
    const cost = await exchanges.count(() =>
      emailJobs.sendVerificationEmail({ eventId, userId, correlationId: 'c-cost' }, firstAttempt(SendVerificationEmail.name, eventId)),
    );
    expect(cost.result).toBe('processed');
    console.log(cost.roundTrips, cost.commits, cost.trace.join('\n'));
  });

  it('a welcome email (claim, contact read, send, complete)', async () => {
    const userId = await createUser(`cost-${randomUUID()}@example.com`);
    const eventId = uuidv7();
    const cost = await exchanges.count(() =>
      emailJobs.sendWelcomeEmail({ eventId, userId, correlationId: 'c-cost' }, firstAttempt(SendWelcomeEmail.name, eventId)),
    );
    expect(cost.result).toBe('processed');
    console.log(cost.roundTrips, cost.commits, cost.trace.join('\n'));
  });
});
