import { EmailQueue, SendVerificationEmail } from '@herald/notifications';
import { HERALD_MODULES } from '@herald/contexts';
import { catalogOfModules } from '@herald/events';
import { jobRegistryOfModules } from '@herald/jobs';
import { spawnSync } from 'node:child_process';
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

/** Every runbook's text, by file name. */
const runbooks = readdirSync(RUNBOOKS)
  .filter((file) => file.endsWith('.md'))
  .map((file) => ({ runbook: file, text: readFileSync(join(RUNBOOKS, file), 'utf8') }));

/** Every ```bash and ```sql block of the runbooks (fenced, possibly indented in a list). */
function codeBlocks(lang: 'bash' | 'sql'): { runbook: string; code: string }[] {
  return runbooks.flatMap(({ runbook, text }) =>
    [...text.matchAll(new RegExp(`^[ \\t]*\`\`\`${lang}\\n([\\s\\S]*?)^[ \\t]*\`\`\``, 'gm'))].map((match) => ({
      runbook,
      code: match[1]!.replace(/^[ \t]+/gm, '').trim(),
    })),
  );
}

/** What a runbook names, with where: `found` by a pattern that says what kind of name it is. */
function mentions(patterns: RegExp[]): { runbook: string; name: string }[] {
  return runbooks.flatMap(({ runbook, text }) =>
    patterns.flatMap((pattern) =>
      [...text.matchAll(pattern)].flatMap((match) =>
        match
          .slice(1)
          .filter(Boolean)
          .map((name) => ({ runbook, name })),
      ),
    ),
  );
}

// The declarations the runbooks must agree with: the job registry and the event catalog the apps and the CLI use.
const registry = jobRegistryOfModules(HERALD_MODULES);
const reactionNames = catalogOfModules(HERALD_MODULES).reactions.map((reaction) => reaction.name);
/** Backticked words shaped like job names that name something else (answer codes, example values, a tool). */
const OTHER_KEBAB_WORDS = ['admin-change-me', 'message-refused', 'recipient-refused', 'sender-refused', 'same-origin', 'redis-cli'];

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

  describe('names', () => {
    it('names only queues the registry has', () => {
      const named = mentions([
        /--queue ([a-z][a-z0-9_-]*)/g,
        /queues:(?:pause|resume) ([a-z][a-z0-9_-]*)/g,
        /`([a-z][a-z0-9_-]*)` queue/g,
        /queue `([a-z][a-z0-9_-]*)`/g,
        /queue="([^"]+)"/g,
      ]);
      expect(named.length).toBeGreaterThan(20);
      expect(named.filter(({ name }) => !registry.queueNames.includes(name))).toEqual([]);
    });

    it('names only jobs the registry has and reactions the catalog has', () => {
      const kebab = mentions([
        /`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`/g,
        /--name ([a-z][a-z0-9-]*)/g,
        /`job ([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`/g,
        /name="([^"]+)"/g,
        /name="[^"]+"\|"([^"]+)"/g,
      ]);
      const known = [...registry.jobNames, ...reactionNames, ...OTHER_KEBAB_WORDS];
      expect(kebab.filter(({ name }) => registry.jobNames.includes(name)).length).toBeGreaterThan(10);
      expect(kebab.filter(({ name }) => !known.includes(name))).toEqual([]);
    });

    it('names only commands the CLI has', async () => {
      const help = await runCli(['--help'], {});
      const cliCommands = [...help.stdout.matchAll(/^ {2}([a-z]+:[a-z-]+) /gm)].map((match) => match[1]!);
      expect(cliCommands).toEqual(expect.arrayContaining(['queues:stats', 'jobs:failed', 'outbox:replay']));
      const named = mentions([/`([a-z]+:[a-z-]+)[ `]/g, /npm run ops -- ([a-z]+:[a-z-]+)/g]);
      expect(named.filter(({ name }) => !cliCommands.includes(name))).toEqual([]);
    });

    it("job-queue.md's table lists every job of the registry with its queue, and every queue", () => {
      const text = runbooks.find((r) => r.runbook === 'job-queue.md')!.text;
      const rows = [...text.matchAll(/^\| `([a-z][a-z0-9-]+)` +\| `([a-z][a-z0-9-]+)` +\|/gm)].map((match) => [match[1], match[2]]);
      expect(rows.sort()).toEqual(registry.jobs.map((job) => [job.name, job.queue.name]).sort());
      for (const queue of registry.queueNames) expect(text).toContain(`\`${queue}\``);
    });
  });

  describe('code blocks', () => {
    it.each(codeBlocks('sql').map((block) => [block.runbook, block.code]))('%s: runs %s on the schema', async (_, code) => {
      const values: Record<string, string> = { '<eventId>': randomUUID(), '<address>': 'someone@example.com' };
      const sql = Object.entries(values).reduce((text, [placeholder, value]) => text.replaceAll(placeholder, value), code);
      expect(sql).not.toMatch(/<[^>]+>/); // every placeholder is one the test knows
      await expect(db.query(sql)).resolves.toBeDefined();
    });

    const lines = codeBlocks('bash').flatMap(({ runbook, code }) => code.split('\n').map((line) => [runbook, line.trim()] as const));

    it('shows only commands the test knows how to run', () => {
      expect(lines.length).toBeGreaterThan(20);
      expect(lines.filter(([, line]) => !/^(npm run ops -- |redis-cli )/.test(line))).toEqual([]);
    });

    it.each(lines.filter(([, line]) => line.startsWith('redis-cli ')))('%s: %s (against the test Redis)', (_, line) => {
      // Arguments as a shell would split them: words, or text in single quotes.
      const args = [...line.slice('redis-cli '.length).matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);
      const run = spawnSync('redis-cli', ['-u', TEST_REDIS_URL, ...args], { encoding: 'utf8', timeout: 10_000 });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout).not.toMatch(/^\(error\)|^ERR/m);
    });
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
