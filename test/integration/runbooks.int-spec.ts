import { EmailQueue, SendVerificationEmail } from '@herald/notifications';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { runCli } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { withRedis } from '../support/pipeline-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';

const RUNBOOKS = 'runbooks';

/** Every `npm run ops -- ...` command shown in a runbook, with where it stands. */
function runbookCommands(): { runbook: string; command: string }[] {
  return readdirSync(RUNBOOKS)
    .filter((file) => file.endsWith('.md'))
    .flatMap((file) =>
      [...readFileSync(join(RUNBOOKS, file), 'utf8').matchAll(/npm run ops -- ([^`\n]+)/g)].map((match) => ({
        runbook: file,
        command: match[1]!.trim(),
      })),
    );
}

const commands = runbookCommands();

describe('Runbook commands (built CLI, real Redis and Postgres)', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let worker: Worker;

  /** A fresh failed job, as an operator would find one. */
  async function failedJob(): Promise<string> {
    const added = await queue.add(
      SendVerificationEmail.name,
      { eventId: randomUUID(), userId: randomUUID(), correlationId: 'runbook' },
      { attempts: 1 },
    );
    const token = randomUUID();
    const job = (await worker.getNextJob(token, { block: false })) as Job;
    await job.moveToFailed(new Error('SMTP server said 421'), token, false);
    return added.id!;
  }

  /** A fresh dead outbox row. */
  async function deadRow(): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, available_at, status, attempts, last_error)
       VALUES ($1, 'users.UserRegistered', 1, $2, '{}', 'runbook', now(), now(), 'dead', 10, 'reaction refused the event')`,
      [id, randomUUID()],
    );
    return id;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = uniqueQueuePrefix();
    queue = new Queue(EmailQueue.name, { connection: { url: TEST_REDIS_URL }, prefix });
    worker = new Worker(EmailQueue.name, null, { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix, autorun: false });
  });

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await db.drop();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
  });

  it('finds the commands in the runbooks', () => {
    expect(commands.length).toBeGreaterThanOrEqual(20);
    expect(new Set(commands.map((c) => c.runbook))).toEqual(new Set(['job-queue.md', 'outbox.md', 'email-delivery.md']));
  });

  it.each(commands.map((c) => [c.runbook, c.command]))('%s: npm run ops -- %s', async (_, command) => {
    const values: Record<string, () => Promise<string>> = { '<job-id>': failedJob, '<event-id>': deadRow };
    let line = command;
    for (const [placeholder, make] of Object.entries(values))
      if (line.includes(placeholder)) line = line.replace(placeholder, await make());
    expect(line).not.toMatch(/<[^>]+>/); // every placeholder is one the test knows

    const result = await runCli(line.split(/\s+/), { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout.length).toBeGreaterThan(0);
  });
});
