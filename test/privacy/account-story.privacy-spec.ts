import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import {
  SendAccountExistsNotice,
  SendPasswordChangedNotice,
  SendPasswordResetEmail,
  SendVerificationEmail,
  SendWelcomeEmail,
} from '@herald/notifications';
import { AccountsQueue } from '@herald/users';
import { Queue } from 'bullmq';
import { bearer } from '../support/api-client/index.js';
import { runCli, type AppProcess } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { tokenFromMail } from '../support/smtp-sink.js';
import { Stack } from '../support/stack.js';
import { deleteKeysWithPrefix, redisClient, uniqueQueuePrefix } from '../support/test-redis.js';
import { waitFor } from '../support/wait-for.js';
import { describeHits, logValues, metricValues, redisValues, scan, SecretRegistry, spanValues, type ScannedValue } from './privacy-scan.js';

/**
 * The privacy tier. The whole account story runs against the built API and
 * worker in production mode, traced to an in-process OTLP receiver, at the
 * most verbose log level; then every exported span (attributes, events,
 * links, status, resource), every line both apps and the ops CLI wrote, every
 * key and value of the run's Redis prefix (all types), every label of both
 * apps' /metrics and every admin page shown is searched for the story's
 * secrets: each token mailed, each password used (wrong ones too), the
 * password hashes and token hashes Postgres holds, each JWT, the JWT secret,
 * the admin credentials, and every email address used. Addresses belong in
 * the message itself and in the users table (and the outbox rows of the
 * events that carry them), which are not scanned; anywhere else is a leak.
 *
 * A step is a named function of the story; add one to STEPS (and register the
 * secrets it uses with `story.secrets.add`) and the scan covers it.
 */

/** The mail kind of the "your password was changed" notice (its job's name). */
const PASSWORD_CHANGED_NOTICE = SendPasswordChangedNotice.name;

/** A random passphrase (the policy wants at least 12 characters): unique, so a hit can only be this story's. */
const passphrase = (what: string) => `${what} ${randomBytes(9).toString('base64url')}`;
const address = (who: string) => `${who}.${randomBytes(4).toString('hex')}@example.com`;

/** What the steps share: the stack, the secrets so far, and the account as the story goes. */
class Story {
  readonly stack = new Stack();
  readonly receiver = new OtlpReceiver();
  readonly secrets = new SecretRegistry();
  readonly startedAt = new Date(Date.now() - 60_000);
  readonly admin = { user: 'operator', password: randomBytes(24).toString('base64url') };
  readonly jwtSecret = randomBytes(36).toString('base64url');
  readonly account = { email: address('ada'), password: passphrase('ada first') };
  readonly refused = { email: address('refused'), password: passphrase('refused') };
  /** Output of the ops CLI runs, scanned like the apps' logs. */
  readonly cliLines: string[] = [];
  /** Admin pages and API answers shown to the operator. */
  readonly adminPages: { path: string; body: string }[] = [];
  api!: AppProcess;
  worker!: AppProcess;

  /** The environment of production: NODE_ENV, a real JWT secret, admin credentials, tracing on, every log line. */
  env(): Record<string, string> {
    return {
      NODE_ENV: 'production',
      LOG_LEVEL: 'trace',
      JWT_SECRET: this.jwtSecret,
      ADMIN_USER: this.admin.user,
      ADMIN_PASSWORD: this.admin.password,
      OTEL_EXPORTER_OTLP_ENDPOINT: this.receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
  }

  basic(password = this.admin.password): Record<string, string> {
    return { authorization: `Basic ${Buffer.from(`${this.admin.user}:${password}`).toString('base64')}` };
  }

  async logIn(email: string, password: string): Promise<{ status: number; accessToken?: string }> {
    const { response, data } = await this.stack.client.POST('/auth/login', { body: { email, password } });
    if (data?.accessToken) this.secrets.add('jwt', `access token of ${email.split('.')[0]}`, data.accessToken);
    return { status: response.status, accessToken: data?.accessToken };
  }

  /** The password hashes Postgres holds now (each change makes a new one). */
  async recordPasswordHashes(when: string): Promise<void> {
    const rows = (await this.stack.db.query(`SELECT password_hash FROM users`)) as { password_hash: string }[];
    for (const { password_hash: hash } of rows) {
      this.secrets.add('password hash', `password hash ${when}`, hash);
      this.secrets.add('password hash', `password hash ${when} (digest)`, hash.split('$').at(-1));
    }
  }

  async runCli(args: string[]): Promise<{ code: number | null; stdout: string }> {
    const result = await runCli(args, { ...this.stack.env(this.env()), REDIS_URL: TEST_REDIS_URL });
    this.cliLines.push(`$ ops ${args.join(' ')}`, ...result.stdout.split('\n'), ...result.stderr.split('\n'));
    return result;
  }

  /** Everything the story set off so far has settled: no pending outbox row, no queued or running job in any queue. */
  async settled(): Promise<void> {
    const queues = [this.stack.emailQueue(), this.accountsQueue()];
    await waitFor('the outbox and the queues to be idle', async () => {
      const [{ pending }] = (await this.stack.db.query(`SELECT count(*)::int AS pending FROM outbox WHERE status = 'pending'`)) as [
        { pending: number },
      ];
      const counts = await Promise.all(queues.map((queue) => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
      return pending === 0 && counts.every((count) => Object.values(count).every((n) => n === 0));
    });
  }

  private accounts?: Queue;
  private accountsQueue(): Queue {
    this.accounts ??= new Queue(AccountsQueue.name, { connection: { url: TEST_REDIS_URL }, prefix: this.stack.prefix });
    return this.accounts;
  }

  async close(): Promise<void> {
    await this.accounts?.close();
  }

  async adminPage(path: string, headers = this.basic()): Promise<Response> {
    const response = await this.stack.get(path, headers);
    this.adminPages.push({ path, body: await response.clone().text() });
    return response;
  }
}

interface Step {
  readonly name: string;
  run(story: Story): Promise<void>;
}

const STEPS: Step[] = [
  {
    name: 'registers an account, one whose address the SMTP server refuses, and the taken address again',
    async run(story) {
      const { stack, account, refused, secrets } = story;
      secrets.add('email address', 'the account', account.email);
      secrets.add('email address', 'the refused address', refused.email);
      secrets.add('password', 'password at registration', account.password);
      secrets.add('password', 'password of the refused account', refused.password);
      const taken = passphrase('taken');
      secrets.add('password', 'password of a registration of the taken address', taken);
      stack.smtp.rejectRecipients = new RegExp(`^${refused.email.replace(/\./g, '\\.')}$`);

      for (const body of [account, refused, { email: account.email, password: taken }]) {
        expect((await stack.client.POST('/users', { body })).response.status).toBe(202);
      }
      await stack.smtp.waitForMail(account.email, SendVerificationEmail.name);
      await stack.smtp.waitForMail(account.email, SendAccountExistsNotice.name);
      await waitFor('the refused recipient to be refused', () => stack.smtp.refusals.some((refusal) => refusal.address === refused.email));
      await story.recordPasswordHashes('at registration');
    },
  },
  {
    name: 'resends the verification email, and asks for one too often for an address without an account',
    async run({ stack, account, secrets }) {
      expect((await stack.client.POST('/users/verification-email', { body: { email: account.email } })).response.status).toBe(202);
      await stack.smtp.waitForMail(account.email, SendVerificationEmail.name, 2);
      const stranger = address('stranger');
      secrets.add('email address', 'an address without an account (rate limited)', stranger);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await stack.client.POST('/users/verification-email', { body: { email: stranger } })).response.status);
      expect(statuses).toEqual([202, 202, 202, 429]);
    },
  },
  {
    name: 'opens both emailed links (GET /verify-email?token=…) and verifies with the newer one',
    async run({ stack, account }) {
      const [older, newer] = (await stack.smtp.waitForMail(account.email, SendVerificationEmail.name, 2)).map(tokenFromMail);
      for (const token of [older!, newer!]) {
        const page = await stack.get(`/verify-email?token=${encodeURIComponent(token)}`);
        expect(page.status).toBe(200);
      }
      expect((await stack.client.POST('/users/verify-email', { body: { token: older! } })).response.status).toBe(400);
      expect((await stack.client.POST('/users/verify-email', { body: { token: newer! } })).response.status).toBe(200);
      await stack.smtp.waitForMail(account.email, SendWelcomeEmail.name);
    },
  },
  {
    name: 'logs in (after a wrong password) and reads the profile',
    async run(story) {
      const wrong = passphrase('wrong guess');
      story.secrets.add('password', 'a wrong password at log-in', wrong);
      expect((await story.logIn(story.account.email, wrong)).status).toBe(401);
      const { status, accessToken } = await story.logIn(story.account.email, story.account.password);
      expect(status).toBe(200);
      expect((await story.stack.client.GET('/users/me', { headers: bearer(accessToken!) })).response.status).toBe(200);
    },
  },
  {
    name: 'resets the password through the emailed link (GET /reset-password?token=…, then confirm), and for an unknown address',
    async run(story) {
      const { stack, account, secrets } = story;
      const unknown = address('unknown');
      secrets.add('email address', 'an address without an account (reset)', unknown);
      for (const email of [account.email, unknown]) {
        expect((await stack.client.POST('/auth/password-reset', { body: { email } })).response.status).toBe(202);
      }
      const token = tokenFromMail((await stack.smtp.waitForMail(account.email, SendPasswordResetEmail.name))[0]!);
      expect((await stack.get(`/reset-password?token=${encodeURIComponent(token)}`)).status).toBe(200);
      account.password = passphrase('ada after reset');
      secrets.add('password', 'password set by the reset', account.password);
      const confirm = await stack.client.POST('/auth/password-reset/confirm', { body: { token, newPassword: account.password } });
      expect(confirm.response.status).toBe(204);
      await stack.smtp.waitForMail(account.email, PASSWORD_CHANGED_NOTICE);
      await story.recordPasswordHashes('after the reset');
    },
  },
  {
    name: 'changes the password (a wrong current one first); the older JWT stops working',
    async run(story) {
      const { stack, account, secrets } = story;
      const { accessToken: before } = await story.logIn(account.email, account.password);
      const wrong = passphrase('wrong current');
      secrets.add('password', 'a wrong current password at change', wrong);
      const next = passphrase('ada after change');
      secrets.add('password', 'password set by the change', next);
      const change = (currentPassword: string) =>
        stack.client.POST('/users/me/password', { body: { currentPassword, newPassword: next }, headers: bearer(before!) });
      expect((await change(wrong)).response.status).not.toBe(204);
      expect((await change(account.password)).response.status).toBe(204);
      account.password = next;
      expect((await stack.client.GET('/users/me', { headers: bearer(before!) })).response.status).toBe(401);
      const { accessToken: after } = await story.logIn(account.email, account.password);
      expect((await stack.client.GET('/users/me', { headers: bearer(after!) })).response.status).toBe(200);
      await stack.smtp.waitForMail(account.email, PASSWORD_CHANGED_NOTICE, 2);
      await story.recordPasswordHashes('after the change');
    },
  },
  {
    name: 'resets the password again through the page’s form without JavaScript (POST /reset-password, a form body)',
    async run(story) {
      const { stack, account, secrets } = story;
      expect((await stack.client.POST('/auth/password-reset', { body: { email: account.email } })).response.status).toBe(202);
      const token = tokenFromMail((await stack.smtp.waitForMail(account.email, SendPasswordResetEmail.name, 2))[1]!);
      secrets.add('token', 'the second reset link', token);
      const next = passphrase('ada after the form');
      secrets.add('password', 'password set by the form', next);
      const answer = await fetch(`${stack.apiUrl}/reset-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, newPassword: next }).toString(),
      });
      expect(answer.status).toBe(200);
      account.password = next;
      expect((await story.logIn(account.email, account.password)).status).toBe(200);
      await stack.smtp.waitForMail(account.email, PASSWORD_CHANGED_NOTICE, 3);
      await story.recordPasswordHashes('after the form');
    },
  },
  {
    name: 'replays the welcome email with the ops CLI (dry run, then for real)',
    async run(story) {
      const args = [
        'outbox:replay',
        '--type',
        'users.EmailVerified',
        '--since',
        story.startedAt.toISOString(),
        '--reaction',
        'welcome-email-on-verification',
        '--reprocess',
      ];
      expect((await story.runCli([...args, '--dry-run'])).code).toBe(0);
      expect((await story.runCli(args)).code).toBe(0);
      await story.stack.smtp.waitForMail(story.account.email, SendWelcomeEmail.name, 2);
      expect((await story.runCli(['jobs:failed', '--queue', 'email'])).code).toBe(0);
      expect((await story.runCli(['outbox:stats'])).code).toBe(0);
    },
  },
  {
    name: 'replays the password-reset emails with the ops CLI: the used requests mint nothing (dry run warns, then for real)',
    async run(story) {
      const { stack, account } = story;
      const args = [
        'outbox:replay',
        '--type',
        'users.PasswordResetRequested',
        '--since',
        story.startedAt.toISOString(),
        '--reaction',
        'password-reset-email-on-request',
        '--reprocess',
      ];
      const dryRun = await story.runCli([...args, '--dry-run']);
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toMatch(/WARNING/);
      expect((await story.runCli(args)).code).toBe(0);
      await story.settled();
      // Both requests were used (each link changed the password): the replay mailed no live link.
      expect(stack.smtp.to(account.email, SendPasswordResetEmail.name)).toHaveLength(2);
    },
  },
  {
    name: 'shows the outbox console and Bull Board with credentials (and refuses a wrong password)',
    async run(story) {
      const wrong = randomBytes(18).toString('base64url');
      story.secrets.add('admin credential', 'a wrong admin password', wrong);
      expect((await story.adminPage('/admin/outbox', story.basic(wrong))).status).toBe(401);
      for (const path of [
        '/admin/outbox',
        '/admin/queues',
        '/admin/queues/api/queues?activeQueue=email&status=failed&page=1&jobsPerPage=50',
        '/admin/queues/api/queues?activeQueue=email&status=completed&page=1&jobsPerPage=50',
      ]) {
        expect((await story.adminPage(path)).status).toBe(200);
      }
      // A cross-site write with the operator's credentials (what a foreign page's form makes a browser send) is
      // refused: in production the board is read-only (405) before the same-origin rule (403) is asked.
      const crossSite = await fetch(`${story.stack.apiUrl}/admin/queues/api/queues/email/add`, {
        method: 'POST',
        headers: { ...story.basic(), 'content-type': 'text/plain', origin: 'https://evil.example' },
        body: JSON.stringify({ name: 'x', data: {} }),
      });
      story.adminPages.push({ path: 'cross-site POST /admin/queues/api/queues/email/add', body: await crossSite.text() });
      expect(crossSite.status).toBe(405);
      const failed = story.adminPages.at(-3)!.body;
      expect(failed).toContain('SMTP server refused the recipient'); // the refused job is there, as the operator sees it
    },
  },
];

describe('Privacy tier: the account story in production mode leaves no secret and no address outside its place', () => {
  const story = new Story();

  beforeAll(async () => {
    await Promise.all([story.stack.start(), story.receiver.start()]);
    story.secrets.add('jwt secret', 'JWT_SECRET', story.jwtSecret);
    story.secrets.add('admin credential', 'ADMIN_PASSWORD', story.admin.password);
    story.secrets.add('admin credential', 'Basic credentials', story.basic().authorization!.slice('Basic '.length));
    story.worker = await story.stack.worker(story.env()).startAndWaitReady();
    story.api = await story.stack.api(story.env()).startAndWaitReady();
  });

  afterAll(async () => {
    await story.close();
    await story.stack.stop();
    await story.receiver.stop();
  });

  it('the scan finds a secret planted in every Redis type (it can fail)', async () => {
    const prefix = uniqueQueuePrefix();
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    const redis = redisClient();
    try {
      await redis.set(`${prefix}:string`, `x${canary}`);
      await redis.hset(`${prefix}:hash`, 'field', canary);
      await redis.rpush(`${prefix}:list`, 'a', canary);
      await redis.sadd(`${prefix}:set`, canary);
      await redis.zadd(`${prefix}:zset`, 1, canary);
      await redis.xadd(`${prefix}:stream`, '*', 'failedReason', canary);
      await redis.set(`${prefix}:${canary}`, 'named after it');
      const secrets = new SecretRegistry();
      secrets.add('token', 'canary', canary);
      const { hits } = scan(await redisValues(redis, prefix), secrets.all);
      const places = hits.map((hit) => hit.where.replace(prefix, '{p}').replace(/entry \d+-\d+/, 'entry <id>')).sort();
      expect(places).toEqual([
        'key {p}:[token] (name)',
        'key {p}:hash field field',
        'key {p}:list item 1',
        'key {p}:set member',
        'key {p}:stream entry <id> field failedReason',
        'key {p}:string',
        'key {p}:zset member',
      ]);
    } finally {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    }
  });

  for (const step of STEPS) it(step.name, () => step.run(story));

  it('left no token, password, hash, JWT, credential or address in any span, log line, Redis value, metric label or admin page', async () => {
    const { stack, receiver, secrets } = story;
    // Everything the story set off has settled: no pending outbox row, no queued or running job.
    await story.settled();
    const metrics = {
      api: await (await fetch(`${stack.apiUrl}/metrics`)).text(),
      worker: await (await fetch(`http://127.0.0.1:${stack.workerPort}/metrics`)).text(),
    };
    // A graceful stop flushes the spans still batched.
    expect(await story.api.stop()).toEqual({ code: 0, signal: null });
    expect(await story.worker.stop()).toEqual({ code: 0, signal: null });
    expect(receiver.spans.some((span) => span.service === 'herald-worker')).toBe(true);

    // The tokens of every mail sent (replays included), read from the mails themselves.
    for (const mail of stack.smtp.messages) {
      if (!/[?&]token=/.test(mail.text)) continue;
      const token = tokenFromMail(mail);
      secrets.add('token', `token mailed in ${mail.kind}`, token);
      secrets.add('token', `token mailed in ${mail.kind} (its secret half)`, token.split('.').at(-1));
    }
    for (const table of ['email_verification_tokens', 'password_reset_tokens']) {
      const rows = (await stack.db.query(`SELECT verifier_hash FROM ${table}`)) as { verifier_hash: string }[];
      for (const row of rows) secrets.add('token hash', `a hash in ${table}`, row.verifier_hash);
    }
    for (const jwt of secrets.all.filter((secret) => secret.kind === 'jwt')) {
      secrets.add('jwt', `${jwt.label} (signature)`, jwt.value.split('.').at(-1));
    }
    expect(secrets.count('token')).toBeGreaterThanOrEqual(8); // 2 verification links and 2 reset links, each whole and its half
    expect(secrets.count('email address')).toBe(4);

    const redis = redisClient();
    let redisEntries: ScannedValue[];
    try {
      redisEntries = await redisValues(redis, stack.prefix);
    } finally {
      redis.disconnect();
    }
    const values: ScannedValue[] = [
      ...spanValues(receiver.spans),
      ...logValues('api', story.api.lines),
      ...logValues('worker', story.worker.lines),
      ...logValues('cli', story.cliLines),
      ...redisEntries,
      ...metricValues('api', metrics.api),
      ...metricValues('worker', metrics.worker),
      ...story.adminPages.map((page): ScannedValue => ({ surface: 'admin page', where: page.path, text: page.body })),
    ];
    const result = scan(values, secrets.all);
    const kinds = Object.fromEntries([...new Set(secrets.all.map((secret) => secret.kind))].map((kind) => [kind, secrets.count(kind)]));
    const report = {
      valuesScanned: result.scanned,
      bySurface: result.bySurface,
      spans: receiver.spans.length,
      secrets: secrets.all.length,
      secretsByKind: kinds,
      hits: result.hits,
    };
    await mkdir('test/artifacts', { recursive: true });
    await writeFile('test/artifacts/privacy-tier.json', `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `privacy tier: ${result.scanned} values scanned (${Object.entries(result.bySurface)
        .map(([surface, count]) => `${surface} ${count}`)
        .join(', ')}; ${receiver.spans.length} spans) for ${secrets.all.length} secrets; ${result.hits.length} hits\n`,
    );
    // Each surface was really read: an empty one would make a green run meaningless.
    for (const surface of ['span', 'log', 'redis', 'metric', 'admin page']) expect(result.bySurface[surface] ?? 0).toBeGreaterThan(0);
    if (result.hits.length > 0) throw new Error(`secrets or addresses found outside their place:\n${describeHits(result.hits)}`);
  });
});
