import { EmailQueue, SendVerificationEmail, SendWelcomeEmail } from '@herald/notifications';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Queue, Worker, type Job } from 'bullmq';
import { OutboxStatus } from '@herald/events';
import { runCli } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { withRedis } from '../support/pipeline-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';

// The ops CLI as operators run it: the BUILT app (`npx nest build cli` first),
// a process per command, against real Redis and Postgres.

const COMMANDS = [
  'queues:stats',
  'queues:pause',
  'queues:resume',
  'queues:clean',
  'jobs:failed',
  'jobs:retry',
  'jobs:remove',
  'outbox:stats',
  'outbox:dead',
  'outbox:requeue',
  'outbox:prune',
  'migration:run',
];

const HOUR = 3_600_000;
const jobData = () => ({ eventId: randomUUID(), userId: randomUUID(), correlationId: `ops-${randomUUID()}` });

describe('ops CLI (built, real Redis and Postgres)', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let worker: Worker;
  let env: Record<string, string>;

  const ops = (args: string[], overrides: Record<string, string> = {}) => runCli(args, { ...env, ...overrides });

  /** Runs a command that must succeed and returns its parsed --json output. */
  async function opsJson<T>(args: string[]): Promise<T> {
    const result = await ops([...args, '--json']);
    if (result.code !== 0) throw new Error(`ops ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** Adds a job and moves it to a final state the way a worker would (manual processing: no timing involved). */
  async function finishedJob(name: string, outcome: { failWith: string } | 'completed', options: { finishedAgoMs?: number } = {}) {
    const added = await queue.add(name, jobData(), { attempts: 1 });
    const token = randomUUID();
    const job = (await worker.getNextJob(token, { block: false })) as Job | undefined;
    expect(job?.id).toBe(added.id);
    if (outcome === 'completed') await job!.moveToCompleted('ok', token, false);
    else await job!.moveToFailed(new Error(outcome.failWith), token, false);
    if (options.finishedAgoMs) {
      // Finished sets are scored by finish time; this is what queues:clean reads.
      const key = outcome === 'completed' ? queue.keys.completed : queue.keys.failed;
      await withRedis((redis) => redis.zadd(key!, 'XX', Date.now() - options.finishedAgoMs!, added.id!));
    }
    return added.id!;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  beforeEach(() => {
    prefix = uniqueQueuePrefix();
    env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix };
    queue = new Queue(EmailQueue.name, { connection: { url: TEST_REDIS_URL }, prefix });
    worker = new Worker(EmailQueue.name, null, { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix, autorun: false });
  });

  afterEach(async () => {
    await worker.close();
    await queue.close();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    await db.query('DELETE FROM outbox');
  });

  describe('--help', () => {
    it.each(COMMANDS)('%s --help prints its usage and exits 0', async (command) => {
      const result = await runCli([command, '--help'], {});

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: herald-cli ${command}`);
    });

    it('lists every command in the top-level help', async () => {
      const result = await runCli(['--help'], {});

      expect(result.code).toBe(0);
      for (const command of COMMANDS) expect(result.stdout).toContain(command);
    });
  });

  describe('queues:stats', () => {
    it('reports counts per state, the oldest waiting job and the paused flag', async () => {
      await finishedJob(SendWelcomeEmail.name, { failWith: 'smtp down' });
      await finishedJob(SendWelcomeEmail.name, 'completed');
      await queue.add(SendVerificationEmail.name, jobData(), { timestamp: Date.now() - HOUR });
      await queue.add(SendVerificationEmail.name, jobData());
      await queue.add(SendVerificationEmail.name, jobData(), { delay: HOUR });

      const stats = (await opsJson<any[]>(['queues:stats'])).find((entry) => entry.queue === EmailQueue.name);

      expect(stats).toMatchObject({
        queue: EmailQueue.name,
        paused: false,
        counts: { waiting: 2, active: 0, delayed: 1, prioritized: 0, completed: 1, failed: 1 },
      });
      expect(stats.oldestWaitingAgeMs).toBeGreaterThanOrEqual(HOUR);
      expect(stats.oldestWaitingAgeMs).toBeLessThan(2 * HOUR);
      expect(new Date(stats.oldestWaitingAddedAt).getTime()).toBeLessThanOrEqual(Date.now() - HOUR);
    });

    it('prints an aligned table by default', async () => {
      await queue.add(SendVerificationEmail.name, jobData(), { timestamp: Date.now() - 2 * HOUR - 60_000 });

      const result = await ops(['queues:stats']);

      expect(result.code).toBe(0);
      const [header, rule, ...rows] = result.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^queue\s+paused\s+workers\s+waiting\s+active\s+delayed/);
      expect(rule).toMatch(/^-+ {2}-+/);
      const row = rows.find((line) => line.startsWith('email '));
      expect(row).toMatch(/^email\s+no\s+\d+\s+1\s+0\s+0/);
      expect(row).toContain('2h 1m');
    });

    it('works while Postgres is down: it only needs Redis', async () => {
      const result = await ops(['queues:stats', '--json'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/herald' });

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).map((entry: { queue: string }) => entry.queue)).toContain(EmailQueue.name);
    });
  });

  describe('queues:pause and queues:resume', () => {
    it('pause and resume a queue by name, and say when nothing changed', async () => {
      expect((await ops(['queues:pause', 'email'])).stdout).toContain('Queue email paused.');
      expect(await queue.isPaused()).toBe(true);
      expect((await opsJson<any[]>(['queues:stats'])).find((entry) => entry.queue === EmailQueue.name).paused).toBe(true);
      expect(await opsJson(['queues:pause', 'email'])).toEqual({ queue: 'email', paused: true, changed: false });

      expect((await ops(['queues:resume', 'email'])).stdout).toContain('Queue email resumed.');
      expect(await queue.isPaused()).toBe(false);
    });

    it('refuses an unknown queue, listing the valid ones', async () => {
      const result = await ops(['queues:pause', 'emails']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('unknown queue "emails"; valid queues: accounts, email, maintenance');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });
  });

  describe('queues:clean', () => {
    it('removes completed jobs that finished longer ago than the age, and only those', async () => {
      const old = await finishedJob(SendWelcomeEmail.name, 'completed', { finishedAgoMs: 2 * 24 * HOUR });
      const recent = await finishedJob(SendWelcomeEmail.name, 'completed');
      const failedOld = await finishedJob(SendWelcomeEmail.name, { failWith: 'x' }, { finishedAgoMs: 2 * 24 * HOUR });

      const result = await opsJson(['queues:clean', '--queue', 'email', '--state', 'completed', '--older-than', '1d']);

      expect(result).toEqual({ queue: 'email', state: 'completed', olderThanMs: 24 * HOUR, removed: 1 });
      expect(await queue.getJob(old)).toBeUndefined();
      expect(await queue.getJob(recent)).toBeDefined();
      expect(await queue.getJob(failedOld)).toBeDefined();
    });

    it('removes old failed jobs with --state failed', async () => {
      const old = await finishedJob(SendWelcomeEmail.name, { failWith: 'x' }, { finishedAgoMs: 13 * HOUR });
      const recent = await finishedJob(SendWelcomeEmail.name, { failWith: 'y' });

      const result = await ops(['queues:clean', '--queue', 'email', '--state', 'failed', '--older-than', '12h']);

      expect(result.stdout).toContain('Removed 1 failed job(s) older than 12h from queue email.');
      expect(await queue.getJob(old)).toBeUndefined();
      expect(await queue.getJob(recent)).toBeDefined();
    });

    it.each([
      [['--state', 'waiting', '--older-than', '7d'], "argument 'waiting' is invalid. Allowed choices are completed, failed"],
      [['--state', 'failed', '--older-than', '7'], '"7" is not a duration'],
      [['--state', 'failed', '--older-than', '1.5h'], '"1.5h" is not a duration'],
      [['--state', 'failed'], "required option '--older-than <duration>' not specified"],
    ])('refuses bad arguments %j', async (args, message) => {
      const result = await ops(['queues:clean', '--queue', 'email', ...args]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });

  describe('jobs:failed', () => {
    it('lists failed jobs with reason, attempts and timestamps, filtered by name and limited', async () => {
      const welcome = await finishedJob(SendWelcomeEmail.name, { failWith: 'SMTP 421 try later' });
      const verification = await finishedJob(SendVerificationEmail.name, { failWith: 'user vanished' });
      await finishedJob(SendWelcomeEmail.name, 'completed');

      const all = await opsJson<any[]>(['jobs:failed']);
      expect(all.map((job) => job.id).sort()).toEqual([welcome, verification].sort());
      expect(all.find((job) => job.id === welcome)).toMatchObject({
        queue: 'email',
        name: SendWelcomeEmail.name,
        failedReason: 'SMTP 421 try later',
        attemptsMade: 1,
      });
      for (const job of all) {
        for (const field of ['addedAt', 'processedAt', 'failedAt'])
          expect(new Date(job[field]).getTime()).toBeGreaterThan(Date.now() - 60_000);
      }

      const named = await opsJson<any[]>(['jobs:failed', '--name', SendVerificationEmail.name, '--queue', 'email']);
      expect(named.map((job) => job.id)).toEqual([verification]);
      expect(await opsJson<any[]>(['jobs:failed', '--limit', '1'])).toHaveLength(1);

      const table = await ops(['jobs:failed']);
      expect(table.stdout).toMatch(/^queue\s+id\s+name\s+attempts\s+failed at\s+reason/);
      expect(table.stdout).toContain('SMTP 421 try later');
      expect(table.stdout).toContain('2 shown; 2 failed job(s) of any name in accounts, email, maintenance.');
    });

    it.each([
      [['--queue', 'sms'], 'unknown queue "sms"; valid queues: accounts, email, maintenance'],
      [['--name', 'send-spam'], 'unknown job name "send-spam"'],
      [['--limit', 'ten'], 'must be a whole number from 1 to 10000'],
      [['--frobnicate'], "unknown option '--frobnicate'"],
    ])('refuses bad arguments %j', async (args, message) => {
      const result = await ops(['jobs:failed', ...args]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });

  describe('jobs:retry', () => {
    it('retries one failed job by id with its attempts reset; --dry-run changes nothing', async () => {
      const id = await finishedJob(SendWelcomeEmail.name, { failWith: 'smtp down' });
      const other = await finishedJob(SendWelcomeEmail.name, { failWith: 'smtp down' });

      const dry = await opsJson<any>(['jobs:retry', '--id', id, '--dry-run']);
      expect(dry).toMatchObject({ dryRun: true, retried: [{ id, failedReason: 'smtp down' }] });
      expect(await queue.getJobState(id)).toBe('failed');

      const result = await opsJson<any>(['jobs:retry', '--id', id, '--queue', 'email']);
      expect(result).toMatchObject({ dryRun: false, retried: [{ id }], skipped: [] });
      expect(await queue.getJobState(id)).toBe('waiting');
      expect((await queue.getJob(id))!.attemptsMade).toBe(0);
      expect(await queue.getJobState(other)).toBe('failed');
    });

    it('retries every failed job of a queue with --all', async () => {
      const ids = [
        await finishedJob(SendWelcomeEmail.name, { failWith: 'a' }),
        await finishedJob(SendVerificationEmail.name, { failWith: 'b' }),
      ];

      const dry = await ops(['jobs:retry', '--all', '--queue', 'email', '--dry-run']);
      expect(dry.stdout).toContain('Would retry 2 job(s).');
      expect(await queue.getFailedCount()).toBe(2);

      const result = await opsJson<any>(['jobs:retry', '--all', '--queue', 'email']);
      expect(result.retried.map((job: { id: string }) => job.id).sort()).toEqual([...ids].sort());
      expect(await queue.getFailedCount()).toBe(0);
      expect(await queue.getWaitingCount()).toBe(2);
    });

    it('fails with a clear message for an unknown job id', async () => {
      const result = await ops(['jobs:retry', '--id', 'no-such-job']);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe('herald-cli: unknown job id "no-such-job" in queue accounts, email, maintenance\n');
    });

    it('refuses to retry a job that has not failed', async () => {
      const waiting = await queue.add(SendWelcomeEmail.name, jobData());

      const result = await ops(['jobs:retry', '--id', waiting.id!]);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`job ${waiting.id} in queue email is waiting; only failed jobs can be retried`);
    });

    it.each([
      [[], 'say which jobs'],
      [['--all'], '--all needs --queue'],
      [['--id', 'a', '--all', '--queue', 'email'], "option '--id <id>' cannot be used with option '--all'"],
      [['--id', 'a:b'], '"a:b" is not a job id'],
    ])('refuses bad arguments %j', async (args, message) => {
      const result = await ops(['jobs:retry', ...args]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });

  describe('jobs:remove', () => {
    it('removes one job by id', async () => {
      const job = await queue.add(SendWelcomeEmail.name, jobData());

      const result = await ops(['jobs:remove', '--id', job.id!]);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Removed job ${job.id} (${SendWelcomeEmail.name}, waiting) from queue email.`);
      expect(await queue.getJob(job.id!)).toBeUndefined();
    });

    it('fails with a clear message for an unknown job id', async () => {
      const result = await ops(['jobs:remove', '--id', 'gone', '--queue', 'email']);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('unknown job id "gone" in queue email');
    });
  });

  describe('outbox', () => {
    /** One outbox row as the relay would have left it. */
    async function outboxRow(row: { status: OutboxStatus; attempts?: number; age?: string; dispatchedAgo?: string; lastError?: string }) {
      const id = randomUUID();
      await db.query(
        `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, created_at,
                             status, attempts, available_at, dispatched_at, last_error)
         VALUES ($1, 'users.UserRegistered', 1, $2, '{}', 'ops-test', now() - $3::interval, now() - $3::interval,
                 $4, $5, now() + interval '5 minutes', now() - $6::interval, $7)`,
        [id, randomUUID(), row.age ?? '0 seconds', row.status, row.attempts ?? 0, row.dispatchedAgo ?? null, row.lastError ?? null],
      );
      return id;
    }

    const rowOf = async (id: string) =>
      (
        await db.query<{ status: string; attempts: number; due: boolean }>(
          'SELECT status, attempts, available_at <= now() AS due FROM outbox WHERE id = $1',
          [id],
        )
      )[0];

    it('outbox:stats counts pending, dispatched and dead rows and ages the oldest pending one', async () => {
      await outboxRow({ status: OutboxStatus.Pending, age: '90 minutes' });
      await outboxRow({ status: OutboxStatus.Pending });
      await outboxRow({ status: OutboxStatus.Dispatched, dispatchedAgo: '1 minute' });
      await outboxRow({ status: OutboxStatus.Dead, attempts: 10, lastError: 'no reaction' });

      const stats = await opsJson<any>(['outbox:stats']);

      expect(stats).toMatchObject({ pending: 2, dispatched: 1, dead: 1 });
      expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(90 * 60_000);
      expect(stats.oldestPendingAgeMs).toBeLessThan(95 * 60_000);
      expect((await ops(['outbox:stats'])).stdout).toMatch(/pending\s+dispatched\s+dead\s+oldest pending\n[- ]+\n\s*2\s+1\s+1\s+1h 3\dm/);
    });

    it('outbox:dead lists dead rows with their last error, oldest first', async () => {
      const older = await outboxRow({ status: OutboxStatus.Dead, attempts: 10, age: '2 hours', lastError: 'Unknown event type x' });
      const newer = await outboxRow({ status: OutboxStatus.Dead, attempts: 7, age: '1 hour', lastError: 'reaction threw' });
      await outboxRow({ status: OutboxStatus.Pending });

      const rows = await opsJson<any[]>(['outbox:dead']);

      expect(rows.map((row) => row.id)).toEqual([older, newer]);
      expect(rows[0]).toMatchObject({ eventType: 'users.UserRegistered', attempts: 10, lastError: 'Unknown event type x' });
      expect(new Date(rows[0].createdAt).getTime()).toBeLessThan(Date.now() - HOUR);
      expect(await opsJson<any[]>(['outbox:dead', '--limit', '1'])).toHaveLength(1);
      const table = (await ops(['outbox:dead'])).stdout;
      expect(table).toContain('reaction threw');
      expect(table).toContain('2 shown of 2 dead.');
    });

    it('outbox:requeue puts one dead row back to pending, due now, attempts 0; --dry-run changes nothing', async () => {
      const dead = await outboxRow({ status: OutboxStatus.Dead, attempts: 10, lastError: 'boom' });
      const otherDead = await outboxRow({ status: OutboxStatus.Dead, attempts: 10 });

      const dry = await opsJson<any>(['outbox:requeue', '--id', dead, '--dry-run']);
      expect(dry).toMatchObject({ dryRun: true, requeued: [{ id: dead, previousStatus: 'dead', previousAttempts: 10 }] });
      expect(await rowOf(dead)).toEqual({ status: 'dead', attempts: 10, due: false });

      const result = await opsJson<any>(['outbox:requeue', '--id', dead.toUpperCase()]);
      expect(result.requeued.map((row: { id: string }) => row.id)).toEqual([dead]);
      expect(await rowOf(dead)).toEqual({ status: 'pending', attempts: 0, due: true });
      expect(await rowOf(otherDead)).toMatchObject({ status: 'dead' });
    });

    it('outbox:requeue --all takes every dead row, --stuck-older-than the pending rows older than the age', async () => {
      const dead = [
        await outboxRow({ status: OutboxStatus.Dead, attempts: 3 }),
        await outboxRow({ status: OutboxStatus.Dead, attempts: 4 }),
      ];
      const stuck = await outboxRow({ status: OutboxStatus.Pending, attempts: 6, age: '20 minutes' });
      const fresh = await outboxRow({ status: OutboxStatus.Pending, attempts: 1, age: '1 minute' });
      const dispatched = await outboxRow({ status: OutboxStatus.Dispatched, age: '1 day', dispatchedAgo: '1 day' });

      const stuckOnly = await opsJson<any>(['outbox:requeue', '--stuck-older-than', '10m']);
      expect(stuckOnly.requeued).toEqual([expect.objectContaining({ id: stuck, previousStatus: 'pending', previousAttempts: 6 })]);
      expect(await rowOf(stuck)).toEqual({ status: 'pending', attempts: 0, due: true });
      expect(await rowOf(fresh)).toEqual({ status: 'pending', attempts: 1, due: false });

      const all = await ops(['outbox:requeue', '--all']);
      expect(all.stdout).toContain('Requeued 2 outbox row(s).');
      for (const id of dead) expect(await rowOf(id)).toEqual({ status: 'pending', attempts: 0, due: true });
      expect(await rowOf(dispatched)).toMatchObject({ status: 'dispatched' });
    });

    it('outbox:requeue fails for an unknown id or a row that is not dead', async () => {
      const dispatched = await outboxRow({ status: OutboxStatus.Dispatched, dispatchedAgo: '1 minute' });
      const unknown = randomUUID();

      const missing = await ops(['outbox:requeue', '--id', unknown]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(`herald-cli: unknown outbox id ${unknown}\n`);

      const notDead = await ops(['outbox:requeue', '--id', dispatched]);
      expect(notDead.code).toBe(1);
      expect(notDead.stderr).toContain(`outbox row ${dispatched} is dispatched, not dead`);
      expect(await rowOf(dispatched)).toMatchObject({ status: 'dispatched' });
    });

    it.each([
      [[], 'say which rows'],
      [['--all', '--id', '0190a000-0000-7000-8000-000000000000'], '--all already takes every dead row'],
      [['--id', '42'], '"42" is not an outbox id'],
      [['--stuck-older-than', 'soon'], '"soon" is not a duration'],
    ])('outbox:requeue refuses bad arguments %j', async (args, message) => {
      const result = await ops(['outbox:requeue', ...args]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });

    it('outbox:prune deletes dispatched rows delivered longer ago than the age, and nothing else', async () => {
      const old = await outboxRow({ status: OutboxStatus.Dispatched, age: '40 days', dispatchedAgo: '40 days' });
      const recent = await outboxRow({ status: OutboxStatus.Dispatched, age: '40 days', dispatchedAgo: '2 days' });
      const oldDead = await outboxRow({ status: OutboxStatus.Dead, age: '40 days' });
      const oldPending = await outboxRow({ status: OutboxStatus.Pending, age: '40 days' });

      const result = await opsJson(['outbox:prune', '--older-than', '30d']);

      expect(result).toEqual({ olderThanMs: 30 * 24 * HOUR, deleted: 1 });
      expect(await rowOf(old)).toBeUndefined();
      for (const id of [recent, oldDead, oldPending]) expect(await rowOf(id)).toBeDefined();
    });
  });

  describe('when a service is unreachable', () => {
    /** A TCP server that accepts connections and never answers: the worst case for a client without timeouts. */
    let silent: Server;
    const sockets = new Set<Socket>();

    beforeAll(async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    const silentPort = () => (silent.address() as AddressInfo).port;

    async function timed(args: string[], overrides: Record<string, string> = {}) {
      const started = Date.now();
      const result = await ops(args, overrides);
      return { ...result, ms: Date.now() - started };
    }

    /**
     * What one CLI run costs on this machine right now (Node start-up, loading the code), measured beside
     * each check: the checks bound how long the CLI waits for a service, not how fast a busy machine is.
     */
    async function overOwnStartUp<R extends { ms: number }>(run: () => Promise<R>) {
      const [baseline, result] = [await timed(['--help']), await run()];
      return { ...result, waitedMs: result.ms - baseline.ms };
    }

    it('names Redis, with host and port but no password, and exits non-zero within seconds', async () => {
      const result = await overOwnStartUp(() => timed(['queues:stats'], { REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1' }));

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^herald-cli: cannot connect to Redis at 127\.0\.0\.1:1 \(REDIS_URL\): .*ECONNREFUSED/);
      expect(result.stderr).not.toContain('hunter2');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.waitedMs).toBeLessThan(5000);
    });

    it('gives up on a Redis that accepts connections but never answers', async () => {
      const result = await overOwnStartUp(() => timed(['jobs:failed'], { REDIS_URL: `redis://127.0.0.1:${silentPort()}` }));

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot connect to Redis at 127.0.0.1:${silentPort()}`);
      expect(result.waitedMs).toBeLessThan(10_000);
    });

    it('names Postgres, with host and port but no password', async () => {
      const result = await overOwnStartUp(() =>
        timed(['outbox:stats'], { DATABASE_URL: 'postgres://postgres:hunter2-secret@127.0.0.1:1/herald' }),
      );

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^herald-cli: cannot connect to Postgres at 127\.0\.0\.1:1 \(DATABASE_URL\): .*ECONNREFUSED/);
      expect(result.stderr).not.toContain('hunter2');
      expect(result.waitedMs).toBeLessThan(5000);
    });

    it('gives up on a Postgres that accepts connections but never answers', async () => {
      const result = await overOwnStartUp(() =>
        timed(['outbox:dead'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${silentPort()}/herald` }),
      );

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot connect to Postgres at 127.0.0.1:${silentPort()}`);
      expect(result.waitedMs).toBeLessThan(10_000);
    });

    it('names the variable of an invalid configuration', async () => {
      const result = await ops(['queues:stats'], { REDIS_URL: 'http://127.0.0.1:6379' });

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^herald-cli: invalid configuration: REDIS_URL: must be a URL with protocol redis:\/\//);
    });
  });
});
