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
import { PostgresExchanges, type PostgresCost } from '../../../test/support/postgres-exchanges.js';

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

/** Transaction framing: what the unit of work sends around the job's own statements (its command tags). */
const FRAMING = /^(BEGIN|START TRANSACTION|SAVEPOINT|RELEASE|COMMIT)$/;
/** The framing statements at the head of an exchange's SQL (BEGIN travels with the first statement of the work). */
const LEADING_FRAMING_SQL = /^(?:(?:START TRANSACTION|BEGIN|SAVEPOINT \w+|RELEASE SAVEPOINT \w+|COMMIT); )+/;

/** The job's own statements, one line per exchange (`SQL -> tags`), framing left out (also when it shares the exchange). */
const statementsOf = (cost: PostgresCost<unknown>) =>
  cost.exchanges
    .filter((exchange) => !exchange.tags.every((tag) => FRAMING.test(tag)))
    .map(({ sql, tags }) => `${sql.replace(LEADING_FRAMING_SQL, '')} -> ${tags.filter((tag) => !FRAMING.test(tag)).join(', ')}`);

/** The framing statements' tags, in the order sent, whether alone in an exchange or sharing one. */
const framingOf = (cost: PostgresCost<unknown>) => cost.exchanges.flatMap((exchange) => exchange.tags.filter((tag) => FRAMING.test(tag)));

// The statements, recognised by how they begin.
const COMPLETE = /^INSERT INTO inbox \(consumer, event_id, status, completed_at\) SELECT .* -> INSERT 0 1$/;
const LOCK_USER = String.raw`SELECT id, email, .* WHERE id = \$1 FOR UPDATE`;
const READ_USER = String.raw`SELECT id, email, .* WHERE id = \$1`;
/** The claim, sent ahead, shares the exchange of prepare's first statement (`statement`, a user read): both answer one row. */
const claimWith = (statement: string) =>
  new RegExp(String.raw`^WITH claimed AS \( INSERT INTO inbox .*; ${statement} -> SELECT 1, SELECT 1$`);
const MINT_TOKEN = /^WITH stored AS \( SELECT user_id, verifier_hash, .* FROM email_verification_tokens .* -> SELECT 0$/;

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

  // Before issue 23: 9 round trips (BEGIN, the claim, a SELECT of the user FOR UPDATE through the query builder, a SELECT of the
  // derived token by its selector, the token INSERT, in START TRANSACTION, SAVEPOINT, RELEASE, COMMIT; then the "done"
  // INSERT on its own) and 2 commits.
  it('a verification email: claim, user lock, token mint (one statement with its selector lookup), then "done"', async () => {
    const userId = await createUser(`cost-${randomUUID()}@example.com`);
    const eventId = uuidv7();
    const cost = await exchanges.count(() =>
      emailJobs.sendVerificationEmail({ eventId, userId, correlationId: 'c-cost' }, firstAttempt(SendVerificationEmail.name, eventId)),
    );
    expect(cost.result).toBe('processed');
    const statements = statementsOf(cost);
    expect(statements).toEqual([
      expect.stringMatching(claimWith(LOCK_USER)),
      expect.stringMatching(MINT_TOKEN),
      expect.stringMatching(COMPLETE),
    ]);
    // The unit of work's framing: no savepoint (the nested mint joins the claim transaction), and BEGIN and the claim
    // travel with the user lock, so the framing costs one round trip of its own (COMMIT): 4 round trips (5 before the
    // claim was sent ahead).
    expect(framingOf(cost)).toEqual(['START TRANSACTION', 'COMMIT']);
    expect(cost.exchanges[0]!.tags).toEqual(['START TRANSACTION', 'SELECT 1', 'SELECT 1']);
    expect(cost.roundTrips).toBe(4);
    expect(cost.commits).toBe(2); // the claim, and "done" (shared with the jobs completing at the same time, if any)
  });

  // Before issue 23: 5 round trips (BEGIN, the claim, the user read through the query builder, COMMIT, "done") and 2 commits.
  it('a welcome email: claim, contact read, then "done"', async () => {
    const userId = await createUser(`cost-${randomUUID()}@example.com`);
    const eventId = uuidv7();
    const cost = await exchanges.count(() =>
      emailJobs.sendWelcomeEmail({ eventId, userId, correlationId: 'c-cost' }, firstAttempt(SendWelcomeEmail.name, eventId)),
    );
    expect(cost.result).toBe('processed');
    expect(statementsOf(cost)).toEqual([expect.stringMatching(claimWith(READ_USER)), expect.stringMatching(COMPLETE)]);
    expect(framingOf(cost)).toEqual(['START TRANSACTION', 'COMMIT']);
    expect(cost.roundTrips).toBe(3); // BEGIN with the claim and the read, COMMIT, "done" (4 before the claim was sent ahead)
    expect(cost.commits).toBe(2);
  });

  // Before issue 23: BEGIN, the claim found the row taken, a second SELECT read its status, COMMIT (4 round trips).
  // Then BEGIN with the claim, COMMIT (2). Since the claim is sent ahead, prepare's first statement travels with it and
  // is rolled back: still 2 for a mail that only reads (one more for a statement of prepare's after its first).
  it('a repeat of a delivered job: the claim statement itself says "done", and what prepare read is rolled back', async () => {
    const userId = await createUser(`cost-${randomUUID()}@example.com`);
    const eventId = uuidv7();
    const job = { eventId, userId, correlationId: 'c-cost' };
    expect(await emailJobs.sendWelcomeEmail(job, firstAttempt(SendWelcomeEmail.name, eventId))).toBe('processed');
    const repeat = firstAttempt(SendWelcomeEmail.name, eventId);
    const cost = await exchanges.count(() =>
      emailJobs.sendWelcomeEmail(job, { ...repeat, delivery: { ...repeat.delivery, claimant: 'another' } }),
    );
    expect(cost.result).toBe('duplicate');
    expect(statementsOf(cost)).toEqual([expect.stringMatching(claimWith(READ_USER)), 'ROLLBACK -> ROLLBACK']);
    expect(cost.roundTrips).toBe(2); // BEGIN with the claim and the read, ROLLBACK
  });
});
