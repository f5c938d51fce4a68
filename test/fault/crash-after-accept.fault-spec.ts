import { SendVerificationEmail } from '@herald/notifications';
import pg from 'pg';
import { runCli, type AppProcess } from '../support/app-process.js';
import { AnswerHoldingProxy, ResendEmulator, ResendFake, type MailApi, type StoredEmail } from '../support/mail-api.js';
import { freePort } from '../support/ports.js';
import { PrivatePostgres } from '../support/postgres-server.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const USERS = 8;
const LOCK_MS = 6000;
const PASSWORD = 'a long and lovely passphrase';
const REACTION = 'verification-email-on-registration';

/** The token in a stored verification email's link. */
function tokenOf(email: StoredEmail): string {
  const match = /[?&]token=([^\s&"<>]+)/.exec(email.text ?? '');
  if (!match) throw new Error('no token link in the mail');
  return decodeURIComponent(match[1]!);
}

interface RunResult {
  /** Verification emails the provider holds, per recipient. */
  readonly perRecipient: Map<string, StoredEmail[]>;
  /** Sends that reached the provider (first worker and second). */
  readonly requests: number;
  readonly stack: Stack;
}

/**
 * The moment that matters, made to last: the provider has taken every
 * verification email, its answers are held (AnswerHoldingProxy), and then the
 * worker is killed (SIGKILL) — or Postgres is stopped — before herald records
 * anything. Another worker takes the deliveries over.
 */
async function crashAfterAccept(
  api: MailApi,
  label: string,
  options: { databaseUrl?: string; postgres?: PrivatePostgres } = {},
): Promise<RunResult> {
  const stack = await new Stack().start();
  const proxy = await new AnswerHoldingProxy(api.url).start();
  try {
    const env = {
      MAIL_TRANSPORT: 'resend',
      RESEND_API_KEY: 're_test',
      RESEND_BASE_URL: proxy.url,
      WORKER_LOCK_DURATION_MS: String(LOCK_MS),
      MAIL_API_TIMEOUT_MS: String(LOCK_MS - 1000),
      WORKER_CONCURRENCY: String(USERS + 2),
      RATE_LIMIT_ENABLED: 'false',
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    };
    await stack.api(env).startAndWaitReady();
    proxy.hold = true;
    const first = await stack.worker(env).startAndWaitReady();
    const emails = Array.from({ length: USERS }, (_, i) => `${label}-${i}@example.com`);
    for (const email of emails) {
      expect((await stack.client.POST('/users', { body: { email, password: PASSWORD } })).response.status).toBe(202);
    }
    await waitFor('the provider to have taken every verification email, its answers held', () => proxy.holding === USERS, 90_000);
    expect((await api.emails()).filter((email) => email.to[0]?.startsWith(`${label}-`))).toHaveLength(USERS);

    let second: AppProcess;
    if (options.postgres) {
      // Postgres goes away between the provider's answer and the bookkeeping, for a few seconds.
      options.postgres.crash();
      proxy.release();
      const deferred = () =>
        first.logs().filter((line) => line.msg === 'job deferred: a service is unavailable' || line.msg === 'job failed');
      await waitFor('the bookkeeping to fail while Postgres is down', () => deferred().length >= 1, 30_000);
      options.postgres.start();
      second = first;
    } else {
      first.kill();
      expect(await first.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
      const inboxDone = await stack.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM inbox WHERE consumer = $1 AND status = 'done'`,
        [REACTION],
      );
      expect(inboxDone).toEqual([{ n: 0 }]); // nothing recorded: the provider's answers never arrived
      proxy.release(); // to a dead client: they go nowhere
      second = await stack.worker({ ...env, WORKER_PORT: String(await freePort()) }).startAndWaitReady();
    }

    const queue = stack.emailQueue();
    const verificationJobs = async () => (await queue.getJobs(['completed'])).filter((job) => job.name === SendVerificationEmail.name);
    await waitFor(`${USERS} verification jobs completed`, async () => (await verificationJobs()).length === USERS, 90_000, 200);
    expect(await queue.getJobCounts('failed', 'active', 'waiting', 'delayed')).toEqual({ failed: 0, active: 0, waiting: 0, delayed: 0 });
    const query = options.databaseUrl
      ? async (sql: string, params: unknown[]) => {
          const client = new pg.Client({ connectionString: options.databaseUrl });
          await client.connect();
          try {
            return (await client.query<{ n: number }>(sql, params)).rows;
          } finally {
            await client.end();
          }
        }
      : (sql: string, params: unknown[]) => stack.db.query<{ n: number }>(sql, params);
    expect(await query(`SELECT count(*)::int AS n FROM inbox WHERE consumer = $1 AND status = 'done'`, [REACTION])).toEqual([{ n: USERS }]);
    expect(second.exited).toBe(false);

    const perRecipient = new Map<string, StoredEmail[]>();
    for (const email of await api.emails()) {
      const to = email.to[0]!;
      if (!to.startsWith(`${label}-`) || email.headers['X-Herald-Mail-Kind'] !== SendVerificationEmail.name) continue;
      perRecipient.set(to, [...(perRecipient.get(to) ?? []), email]);
    }
    return { perRecipient, requests: proxy.forwarded, stack };
  } catch (error) {
    await stack.stop();
    throw error;
  } finally {
    await proxy.stop();
  }
}

describe('Fault: the mail provider accepts, and the worker dies before it records anything', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('sends each verification email exactly once through Resend (emulator): the retry repeats the key and the body', async () => {
    const api = await new ResendEmulator().start();
    cleanups.push(() => api.stop());
    const { perRecipient, requests, stack } = await crashAfterAccept(api, 'once');
    cleanups.push(() => stack.stop());

    expect([...perRecipient.values()].map((emails) => emails.length)).toEqual(Array.from({ length: USERS }, () => 1));
    // Every delivery went to the provider twice (the killed worker's send, the retry's); it sent each once.
    expect(requests).toBeGreaterThanOrEqual(2 * USERS);
    // The link in the one mail works (the retry did not mint another token).
    for (const [, [email]] of perRecipient) {
      expect((await stack.client.POST('/users/verify-email', { body: { token: tokenOf(email!) } })).response.status).toBe(200);
    }
    process.stdout.write(
      `crash after accept (resend emulator): ${USERS} users, ${requests} sends to the provider, ` +
        `${[...perRecipient.values()].filter((emails) => emails.length === 1).length} delivered once, every link works\n`,
    );
  }, 180_000);

  it('control: with key handling off in the fake, the same crash sends each email twice', async () => {
    const api = await new ResendFake().start();
    api.honourIdempotencyKeys = false;
    cleanups.push(() => api.stop());
    const { perRecipient, requests, stack } = await crashAfterAccept(api, 'control');
    cleanups.push(() => stack.stop());

    expect([...perRecipient.values()].map((emails) => emails.length)).toEqual(Array.from({ length: USERS }, () => 2));
    // The two copies are the same message (the same link): without keys, the provider cannot tell.
    for (const [, [first, second]] of perRecipient) expect(second!.text).toBe(first!.text);
    process.stdout.write(
      `crash after accept, control (keys off): ${USERS} users, ${requests} sends to the provider, ` +
        `${[...perRecipient.values()].filter((emails) => emails.length === 2).length} mailed twice\n`,
    );
  }, 180_000);

  it('sends each email once when Postgres is stopped for a few seconds between the provider answer and the bookkeeping', async () => {
    const postgres = await new PrivatePostgres().init();
    cleanups.push(async () => postgres.destroy());
    postgres.start();
    const databaseUrl = await postgres.createDatabase('herald');
    expect((await runCli(['migration:run'], { DATABASE_URL: databaseUrl })).code).toBe(0);
    const api = await new ResendEmulator().start();
    cleanups.push(() => api.stop());
    const { perRecipient, requests, stack } = await crashAfterAccept(api, 'pg', { databaseUrl, postgres });
    cleanups.push(() => stack.stop());

    expect([...perRecipient.values()].map((emails) => emails.length)).toEqual(Array.from({ length: USERS }, () => 1));
    for (const [, [email]] of perRecipient) {
      expect((await stack.client.POST('/users/verify-email', { body: { token: tokenOf(email!) } })).response.status).toBe(200);
    }
    // The job's journal in Redis usually spares the provider a second request here; the key covers the rest.
    process.stdout.write(
      `crash after accept, Postgres stopped: ${USERS} users, ${requests} sends to the provider, ` +
        `${[...perRecipient.values()].filter((emails) => emails.length === 1).length} delivered once, every link works\n`,
    );
  }, 180_000);
});
