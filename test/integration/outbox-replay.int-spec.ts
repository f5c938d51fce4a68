import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { replayJobId } from '@herald/events';
import { EmailQueue, SendWelcomeEmail } from '@herald/notifications';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { runCli } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { withRedis } from '../support/pipeline-harness.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { testConfig } from '../support/test-config.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';
import { waitFor } from '../support/wait-for.js';

// outbox:replay as operators run it: the BUILT CLI (`npx nest build cli` first) against real Postgres and
// Redis, and an in-process worker sending to an SMTP sink. The email queue stays paused until a test lets
// the worker take the jobs, so what a replay queued can be looked at first.

const WELCOME = 'welcome-email-on-verification';
const VERIFICATION = 'verification-email-on-registration';
const RESET = 'password-reset-email-on-request';
const IN_RANGE = ['--since', '2025-01-10', '--until', '2025-01-11'];

describe('outbox:replay (built CLI, real Postgres, Redis and SMTP)', () => {
  const smtp = new SmtpSink();
  let db: TestDatabase;
  let prefix: string;
  let worker: INestApplicationContext;
  let queue: Queue;
  let env: Record<string, string>;

  const ops = (args: string[]) => runCli(args, env);
  /** Runs a command that must succeed and returns its parsed --json output. */
  async function opsJson(args: string[]): Promise<any> {
    const result = await ops([...args, '--json']);
    if (result.code !== 0) throw new Error(`ops ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  }

  /** A verified user with an address of the test's own. */
  async function user(label: string): Promise<{ id: string; email: string }> {
    const id = uuidv7();
    const email = `${label}-${id}@example.com`;
    await db.query(`INSERT INTO users (id, email, password_hash, display_name, email_verified_at) VALUES ($1, $2, 'x', 'Replay', now())`, [
      id,
      email,
    ]);
    return { id, email };
  }

  /** An outbox row as the API and the relay leave it (dispatched unless said otherwise). */
  async function event(type: string, userId: string, occurredAt: string, status = 'dispatched'): Promise<string> {
    const id = uuidv7();
    await db.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, available_at, status, dispatched_at)
       VALUES ($1, $2, 1, $3, '{"email":"x@example.com"}', $4, $5, now(), $6::varchar, CASE WHEN $6::varchar = 'dispatched' THEN now() END)`,
      [id, type, userId, `replay-test-${id}`, occurredAt, status],
    );
    return id;
  }

  /** The inbox record a delivery leaves behind. */
  async function processed(consumer: string, eventId: string): Promise<void> {
    await db.query(`INSERT INTO inbox (consumer, event_id, status, completed_at) VALUES ($1, $2, 'done', now())`, [consumer, eventId]);
  }

  const inboxOf = async (eventId: string) =>
    (
      await db.query<{ consumer: string; status: string }>('SELECT consumer, status FROM inbox WHERE event_id = $1 ORDER BY consumer', [
        eventId,
      ])
    ).map((row) => `${row.consumer}:${row.status}`);
  const replayRows = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_replays'))[0]!.n;
  const jobTotal = async () => Object.values(await queue.getJobCounts()).reduce((sum, n) => sum + n, 0);

  /** Lets the worker take the queued jobs and waits until these have completed. */
  async function processJobs(jobIds: string[]): Promise<void> {
    await queue.resume();
    try {
      await waitFor(
        `jobs ${jobIds.join(', ')} completed`,
        async () => {
          const states = await Promise.all(jobIds.map((id) => queue.getJobState(id)));
          return states.every((state) => state === 'completed');
        },
        30_000,
      );
    } finally {
      await queue.pause();
    }
  }

  beforeAll(async () => {
    await smtp.start();
    db = await createTestDatabase();
    prefix = uniqueQueuePrefix();
    env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix };
    queue = new Queue(EmailQueue.name, { connection: { url: TEST_REDIS_URL }, prefix });
    await queue.pause();
    const config = testConfig(db.url, prefix, { SMTP_URL: smtp.url, JOB_BACKOFF_MS: '200' });
    const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
    worker = await module.createNestApplication({ logger: false }).init();
  });

  afterEach(async () => {
    await db.query('DELETE FROM outbox_replays');
    await db.query('DELETE FROM inbox');
    await db.query('DELETE FROM outbox');
  });

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await db.drop();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    await smtp.stop();
  });

  it('backfills a reaction: jobs for the dispatched events of the range only, and what was done is not done again', async () => {
    const [done, missed, later, pendingUser] = [await user('done'), await user('missed'), await user('later'), await user('pending')];
    const doneEvent = await event('users.EmailVerified', done.id, '2025-01-10T08:00:00Z');
    const missedEvent = await event('users.EmailVerified', missed.id, '2025-01-10T09:00:00.123456Z');
    await event('users.EmailVerified', later.id, '2025-01-11T00:00:00Z'); // `until` is exclusive
    await event('users.EmailVerified', pendingUser.id, '2025-01-10T10:00:00Z', 'pending');
    await event('users.UserRegistered', missed.id, '2025-01-10T10:00:00Z');
    await processed(WELCOME, doneEvent);
    const jobsBefore = await jobTotal();

    const report = await opsJson(['outbox:replay', '--type', 'users.EmailVerified', ...IN_RANGE, '--reaction', WELCOME]);

    expect(report).toMatchObject({
      dryRun: false,
      eventType: 'users.EmailVerified',
      reactions: [WELCOME],
      since: '2025-01-10T00:00:00.000Z',
      until: '2025-01-11T00:00:00.000Z',
      reprocess: false,
      resumed: false,
      skipped: { pending: 1, dead: 0 },
      inbox: null,
      events: 2,
      jobs: { added: 2, alreadyQueued: 0, byReaction: { [WELCOME]: { added: 2, alreadyQueued: 0 } } },
      failed: [],
      complete: true,
    });
    expect(report.replayId).toMatch(/^[0-9a-f]{16}$/);
    expect(report).not.toHaveProperty('deliveries');
    const jobIds = [doneEvent, missedEvent].map((id) => replayJobId(WELCOME, id, report.replayId));
    const jobs = await Promise.all(jobIds.map((id) => queue.getJob(id)));
    expect(jobs.map((job) => [job?.name, job?.data])).toEqual([
      [SendWelcomeEmail.name, { userId: done.id, eventId: doneEvent, correlationId: `replay-test-${doneEvent}` }],
      [SendWelcomeEmail.name, { userId: missed.id, eventId: missedEvent, correlationId: `replay-test-${missedEvent}` }],
    ]);
    expect(await jobTotal()).toBe(jobsBefore + 2);

    await processJobs(jobIds);
    expect(smtp.to(missed.email, SendWelcomeEmail.name)).toHaveLength(1);
    expect(smtp.to(missed.email)[0]!.raw.messageId).toBe(`<${WELCOME}.${missedEvent}.r${report.replayId}@herald>`);
    expect(smtp.to(done.email)).toHaveLength(0); // its inbox record said done
    expect(smtp.to(later.email)).toHaveLength(0);
    expect(smtp.to(pendingUser.email)).toHaveLength(0);

    const again = await opsJson(['outbox:replay', '--type', 'users.EmailVerified', ...IN_RANGE, '--reaction', WELCOME]);
    expect(again).toMatchObject({
      replayId: report.replayId,
      resumed: true,
      startedAfter: report.cursor,
      events: 0,
      jobs: { added: 0, alreadyQueued: 0 },
      complete: true,
    });
    expect(await jobTotal()).toBe(jobsBefore + 2);
  });

  it('replays a range in three steps with --limit, each continuing after the last: every event once, jobs and inbox', async () => {
    const users = [await user('a'), await user('b'), await user('c'), await user('d'), await user('e')];
    const events: string[] = [];
    for (const [i, u] of users.entries()) events.push(await event('users.EmailVerified', u.id, `2025-01-10T1${i}:00:00.00000${i}Z`));
    const outside = await event('users.EmailVerified', users[0]!.id, '2025-01-09T12:00:00Z');
    for (const id of [...events, outside]) await processed(WELCOME, id);
    await processed(VERIFICATION, events[0]!); // another reaction's record of the same event
    const command = ['outbox:replay', '--type', 'users.EmailVerified', ...IN_RANGE, '--reaction', WELCOME, '--reprocess', '--limit', '2'];
    const replayJobs = async (replayId: string) =>
      (await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).filter((job) => job.id!.endsWith(`.r${replayId}`));
    const cursorOf = (i: number) => expect.stringMatching(new RegExp(`^2025-01-10T1${i}:00:00\\.00000${i}Z/${events[i]}$`));

    // The dry run shows the first step only, and what that step would delete.
    const dry = await opsJson([...command, '--dry-run']);
    expect(dry).toMatchObject({
      dryRun: true,
      startedAfter: null,
      cursor: cursorOf(1),
      inbox: { deleted: { [WELCOME]: 2 }, inProgress: { [WELCOME]: 0 }, deletedEarlier: {} },
      events: 2,
      jobs: { added: 2, alreadyQueued: 0 },
      complete: false,
    });
    expect(dry.deliveries.map((d: any) => d.eventId)).toEqual(events.slice(0, 2));
    expect(await replayRows()).toBe(0);
    for (const id of events) expect(await inboxOf(id)).toContain(`${WELCOME}:done`);

    // Step 1: the first two events; only their records go.
    const first = await opsJson(command);
    expect(first).toMatchObject({ replayId: dry.replayId, startedAfter: null, cursor: cursorOf(1), events: 2, complete: false });
    expect(first.jobs).toMatchObject({ added: 2, alreadyQueued: 0 });
    expect(first.inbox).toEqual({ deleted: { [WELCOME]: 2 }, inProgress: { [WELCOME]: 0 }, deletedEarlier: {} });
    expect(await inboxOf(events[0]!)).toEqual([`${VERIFICATION}:done`]); // only this reaction's record went
    for (const id of events.slice(2)) expect(await inboxOf(id)).toEqual([`${WELCOME}:done`]); // not reached: kept
    expect(await inboxOf(outside)).toEqual([`${WELCOME}:done`]);
    const jobIds = events.map((id) => replayJobId(WELCOME, id, first.replayId));
    await processJobs(jobIds.slice(0, 2));

    // Step 2, the same command: after the cursor, and the records step 1's jobs wrote stay.
    const secondText = await ops([...command, '--dry-run']);
    expect(secondText.stdout).toContain(`Started after ${first.cursor}.`);
    const second = await opsJson(command);
    expect(second).toMatchObject({ resumed: true, startedAfter: first.cursor, cursor: cursorOf(3), events: 2, complete: false });
    expect(second.jobs).toMatchObject({ added: 2, alreadyQueued: 0 });
    expect(second.inbox).toEqual({ deleted: { [WELCOME]: 2 }, inProgress: { [WELCOME]: 0 }, deletedEarlier: { [WELCOME]: 2 } });
    expect(await inboxOf(events[4]!)).toEqual([`${WELCOME}:done`]);
    await processJobs(jobIds.slice(0, 4));

    // Step 3, in text: the last event, and the end of the range.
    const third = await ops(command);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain(`Started after ${second.cursor}.`);
    expect(third.stdout).toContain(
      `Inbox: deleted 1 record(s) of this run's deliveries (${WELCOME} 1); 4 deleted by earlier runs of this replay.`,
    );
    expect(third.stdout).toContain('1 dispatched event(s); added 1 job(s), 0 already queued by an earlier run of this replay.');
    expect(third.stdout).not.toContain('Stopped at --limit');
    await processJobs(jobIds);

    // Every event exactly once: one replay job each, one welcome mail each, every record done again.
    expect((await replayJobs(first.replayId)).map((job) => job.id).sort()).toEqual([...jobIds].sort());
    expect(users.map((u) => smtp.to(u.email, SendWelcomeEmail.name).length)).toEqual([1, 1, 1, 1, 1]);
    for (const id of events) expect(await inboxOf(id)).toContain(`${WELCOME}:done`);
    const [stored] = await db.query<{ inbox_cleared: Record<string, number>; runs: number }>(
      'SELECT inbox_cleared, runs FROM outbox_replays WHERE replay_id = $1',
      [first.replayId],
    );
    expect(stored).toEqual({ inbox_cleared: { [WELCOME]: 5 }, runs: 3 });

    // Once more: nothing left, nothing cleared, nothing mailed.
    const fourth = await ops(command);
    expect(fourth.stdout).toContain(
      'No dispatched users.EmailVerified events left after the cursor: this replay has gone through its range.',
    );
    expect(await replayJobs(first.replayId)).toHaveLength(5);
    for (const id of events) expect(await inboxOf(id)).toContain(`${WELCOME}:done`);
    expect(users.map((u) => smtp.to(u.email).length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('prints where a limited run stopped, and --after starts there (a step already queued is counted, not added)', async () => {
    const users = [await user('p'), await user('q'), await user('r')];
    const events = [];
    for (const [i, u] of users.entries()) events.push(await event('users.EmailVerified', u.id, `2025-01-10T0${i}:00:00Z`));
    const command = ['outbox:replay', '--type', 'users.EmailVerified', ...IN_RANGE, '--reaction', WELCOME];

    const first = await ops([...command, '--limit', '2']);
    const cursor = `2025-01-10T01:00:00.000000Z/${events[1]}`;
    expect(first.stdout).toContain(
      `Stopped at --limit after ${cursor}: run the same command again to continue after it (or give --after ${cursor}).`,
    );
    const fromFirst = await opsJson([...command, '--after', `2025-01-10T00:00:00.000000Z/${events[0]}`]);

    expect(fromFirst).toMatchObject({ events: 2, jobs: { added: 1, alreadyQueued: 1 }, complete: true });
    expect(fromFirst.startedAfter).toBe(`2025-01-10T00:00:00.000000Z/${events[0]}`);
  });

  it('warns of deliveries that mint credentials, listing them in a dry run and saying so in the real run', async () => {
    const u = await user('reset');
    const id = await event('users.PasswordResetRequested', u.id, '2025-01-10T10:00:00Z');
    await processed(RESET, id);
    const command = ['outbox:replay', '--type', 'users.PasswordResetRequested', ...IN_RANGE, '--reaction', RESET, '--reprocess'];

    const dry = await ops([...command, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`WARNING: 1 delivery(s) would mint credentials (${RESET})`);
    expect(dry.stdout).toContain('Deliveries that would mint credentials:');
    expect(dry.stdout.split('Deliveries that would mint credentials:')[1]).toContain(id);
    const dryJson = await opsJson([...command, '--dry-run']);
    expect(dryJson.credentials).toEqual({ reactions: [RESET], deliveries: 1 });
    expect(dryJson.deliveries).toEqual([expect.objectContaining({ eventId: id, mintsCredentials: true })]);

    const real = await opsJson(command);
    expect(real.credentials).toEqual({ reactions: [RESET], deliveries: 1 });
    await (await queue.getJob(replayJobId(RESET, id, real.replayId)))!.remove(); // no reset mail for the next tests
    const realText = await ops([...command, '--replay-id', 'reset-text']);
    expect(realText.code).toBe(0);
    expect(realText.stdout).toContain(`WARNING: 1 job(s) added mint credentials (${RESET})`);
    await (await queue.getJob(replayJobId(RESET, id, 'reset-text')))!.remove();

    // A reaction that mints nothing gets no warning.
    const welcome = await ops(['outbox:replay', '--type', 'users.EmailVerified', ...IN_RANGE, '--dry-run']);
    expect(welcome.stdout).not.toContain('WARNING');
  });

  it('prints its usage with --help, and is listed in the top-level help', async () => {
    const usage = await ops(['outbox:replay', '--help']);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toContain('Usage: herald-cli outbox:replay [options]');
    for (const option of [
      '--type <eventType>',
      '--since <time>',
      '--until <time>',
      '--reaction <name>',
      '--reprocess',
      '--replay-id <id>',
      '--limit <n>',
      '--after <cursor>',
      '--dry-run',
    ])
      expect(usage.stdout).toContain(option);
    expect((await ops(['--help'])).stdout).toContain('outbox:replay');
  });

  it('says so when the range holds no dispatched event, and changes nothing', async () => {
    const u = await user('empty');
    await event('users.EmailVerified', u.id, '2025-01-10T10:00:00Z', 'dead');

    const result = await ops(['outbox:replay', '--type', 'users.EmailVerified', ...IN_RANGE, '--dry-run']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No dispatched users.EmailVerified events in that range: nothing to replay.');
    expect(result.stdout).toContain('Left out: 0 pending (the relay delivers them), 1 dead (outbox:requeue).');
    expect(await replayRows()).toBe(0);
  });

  it('refuses a replay id used before for other arguments', async () => {
    const u = await user('named');
    await event('users.EmailVerified', u.id, '2025-01-10T10:00:00Z');
    await opsJson(['outbox:replay', '--type', 'users.EmailVerified', ...IN_RANGE, '--replay-id', 'fix-42']);
    const before = await jobTotal();

    const result = await ops([
      'outbox:replay',
      '--type',
      'users.EmailVerified',
      '--since',
      '2025-01-09',
      '--until',
      '2025-01-11',
      '--replay-id',
      'fix-42',
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'herald-cli: replay fix-42 was started with other arguments (since 2025-01-10T00:00:00.000Z); give a new --replay-id or the same arguments\n',
    );
    expect(await jobTotal()).toBe(before);
  });

  describe('bad arguments', () => {
    it.each([
      [
        ['--type', 'users.Nope', ...IN_RANGE],
        'unknown event type "users.Nope"; known types: users.AccountRequestReceived, users.EmailVerified,',
      ],
      [
        ['--type', 'users.EmailVerified', ...IN_RANGE, '--reaction', 'nope'],
        `unknown reaction "nope" for users.EmailVerified; its reactions: ${WELCOME}`,
      ],
      [
        ['--type', 'users.EmailVerified', ...IN_RANGE, '--reaction', VERIFICATION],
        `unknown reaction "${VERIFICATION}" for users.EmailVerified`,
      ],
      [['--type', 'users.EmailVerified', '--since', 'yesterday'], '"yesterday" is not a time'],
      [['--type', 'users.EmailVerified', '--since', '2025-01-10T10:00'], '"2025-01-10T10:00" is not a time'],
      [['--type', 'users.EmailVerified', '--since', '2025-02-30'], '"2025-02-30" is not a time'],
      [['--type', 'users.EmailVerified', '--since', '2025-01-11', '--until', '2025-01-10'], 'must be before --until'],
      [['--type', 'users.EmailVerified', '--until', '2025-01-10'], "required option '--since <time>' not specified"],
      [['--type', 'users.EmailVerified', '--since', '2999-01-01'], 'is not in the past'],
      [['--type', 'users.EmailVerified', ...IN_RANGE, '--replay-id', 'a.b'], '"a.b" is not a replay id'],
      [['--type', 'users.EmailVerified', ...IN_RANGE, '--limit', '0'], 'must be a whole number from 1 to 10000'],
      [['--type', 'users.EmailVerified', ...IN_RANGE, '--after', '2025-01-10T10:00:00Z'], 'is not a replay cursor'],
    ])('%j exits 2 with a clear message and changes nothing', async (args, message) => {
      const u = await user('bad');
      const id = await event('users.EmailVerified', u.id, '2025-01-10T10:00:00Z');
      await processed(WELCOME, id);
      const before = await jobTotal();

      const result = await ops(['outbox:replay', ...args, '--reprocess']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(await inboxOf(id)).toEqual([`${WELCOME}:done`]);
      expect(await replayRows()).toBe(0);
      expect(await jobTotal()).toBe(before);
    });
  });
});
