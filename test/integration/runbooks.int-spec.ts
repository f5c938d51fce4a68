import { EmailQueue, SendVerificationEmail } from '@herald/notifications';
import { HERALD_MODULES } from '@herald/contexts';
import { catalogOfModules } from '@herald/events';
import { jobRegistryOfModules } from '@herald/jobs';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import calculateSlot from 'cluster-key-slot';
import { Queue, Worker, type Job } from 'bullmq';
import { AppProcess, runCli } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { withRedis } from '../support/pipeline-harness.js';
import { freePort } from '../support/ports.js';
import { PrivateRedisCluster } from '../support/redis-cluster.js';
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

/**
 * Every command a runbook shows inline, in its prose (`curl …`, `redis-cli …`, `npm run …`) rather than in a fenced
 * block: an operator copies these as readily as the blocks'. (`npm run ops -- …` ones are also in `commands`.)
 */
const inlineCommands = runbooks.flatMap(({ runbook, text }) =>
  [...text.replace(/^[ \t]*```[\s\S]*?^[ \t]*```/gm, '').matchAll(/`((?:[A-Z_]+=\S+ )*(?:curl|redis-cli|npm|npx|psql|node) [^`]+)`/g)].map(
    (match) => ({ runbook, command: match[1]! }),
  ),
);
/** The inline forms the test runs, each below: the worker's readiness, a redis-cli command, an npm script. */
const INLINE_FORMS = {
  readiness: /^curl -s localhost:3001\/health\/ready$/,
  redisCli: /^redis-cli /,
  ops: /^npm run ops -- /,
  script: /^((?:[A-Z_]+=\S+ )*)npm run ([a-z:-]+)$/,
};
const inline = (form: keyof typeof INLINE_FORMS) =>
  inlineCommands.filter(({ command }) => INLINE_FORMS[form].test(command)).map(({ runbook, command }) => [runbook, command] as const);

/** Arguments as a shell would split them: words, or text in single quotes. */
const shellWords = (line: string) => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);

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
      const args = shellWords(line.slice('redis-cli '.length));
      const run = spawnSync('redis-cli', ['-u', TEST_REDIS_URL, ...args], { encoding: 'utf8', timeout: 10_000 });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout).not.toMatch(/^\(error\)|^ERR/m);
    });
  });

  describe('commands shown inline', () => {
    it('shows only commands the test knows how to run', () => {
      expect(inlineCommands.length).toBeGreaterThanOrEqual(10);
      expect(inlineCommands.filter(({ command }) => !Object.values(INLINE_FORMS).some((form) => form.test(command)))).toEqual([]);
    });

    describe('the worker readiness check', () => {
      let worker: AppProcess;
      let port: number;

      beforeAll(async () => {
        port = await freePort();
        const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, WORKER_PORT: String(port) };
        worker = await new AppProcess('worker', env, `http://127.0.0.1:${port}/health/ready`).startAndWaitReady();
      });

      afterAll(async () => {
        await worker.stop();
      });

      it.each(inline('readiness'))("%s: %s (against a worker on the test's port)", (_, command) => {
        const run = spawnSync('curl', shellWords(command.replace('localhost:3001', `127.0.0.1:${port}`)).slice(1), {
          encoding: 'utf8',
          timeout: 10_000,
        });
        expect(run.status).toBe(0);
        const answer = JSON.parse(run.stdout) as { status: string; info: Record<string, { status: string }> };
        expect(answer.status).toBe('ok');
        // What the runbooks tell the operator to read in the answer: each check by name, up.
        const named = ['postgres', 'redis', 'workers', 'relay'];
        expect(Object.keys(answer.info).sort()).toEqual(expect.arrayContaining(named.sort()));
        for (const check of named) expect(answer.info[check]?.status).toBe('up');
      });
    });

    it.each(inline('redisCli').filter(([, command]) => !command.includes('<')))('%s: %s (against the test Redis)', (_, command) => {
      const run = spawnSync('redis-cli', ['-u', TEST_REDIS_URL, ...shellWords(command).slice(1)], { encoding: 'utf8', timeout: 10_000 });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout).not.toMatch(/^\(error\)|^ERR/m);
      expect(run.stdout.length).toBeGreaterThan(0);
    });

    describe('against a Redis Cluster', () => {
      let cluster: PrivateRedisCluster;

      beforeAll(async () => {
        cluster = await new PrivateRedisCluster(3).start();
      });

      afterAll(async () => {
        await cluster.stop();
      });

      it.each(inline('redisCli').filter(([, command]) => command.includes('<')))('%s: %s', (_, command) => {
        const line = command.replace('<any node>', '127.0.0.1').replace('<port>', String(cluster.ports[0]));
        expect(line).not.toMatch(/<[^>]+>/); // every placeholder is one the test knows
        const run = spawnSync('redis-cli', shellWords(line).slice(1), { encoding: 'utf8', timeout: 10_000 });
        expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
        expect(run.stdout).not.toMatch(/^\(error\)|^ERR/m);
        if (line.includes('KEYSLOT')) expect(Number(run.stdout.trim())).toBe(calculateSlot('{herald}'));
        if (line.includes('CLUSTER NODES')) expect(run.stdout.match(/\bmaster\b/g)).toHaveLength(3);
      });
    });

    it.each(inline('script'))('%s: %s names a script of package.json (and a bench scenario the bench has)', (_, command) => {
      const [, variables, script] = INLINE_FORMS.script.exec(command)!;
      const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
      expect(Object.keys(scripts)).toContain(script);
      for (const [name, value] of [...variables!.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])) {
        // The one variable a shown script reads: BENCH_ONLY, bench scenarios by number (`if (runs(5))` in bench/run.mjs).
        expect({ name, script }).toEqual({ name: 'BENCH_ONLY', script: 'bench' });
        for (const scenario of value.split(',')) expect(readFileSync('bench/run.mjs', 'utf8')).toContain(`if (runs(${scenario}))`);
      }
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
