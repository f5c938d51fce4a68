import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { DataSource, type AfterQueryEvent, type EntitySubscriberInterface } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { SendAccountExistsNotice, SendPasswordResetEmail, SendVerificationEmail } from '@herald/notifications';
import { AccountRequestReceived, ResolveAccountRequest } from '@herald/users';
import { createApiHarness, type ApiHarness } from '../../../test/support/api-harness.js';
import { TEST_REDIS_URL } from '../../../test/support/env.js';
import { redisClient } from '../../../test/support/test-redis.js';
import { waitFor } from '../../../test/support/wait-for.js';

const PASSWORD = 'correct horse battery staple';

/** Every SQL statement the API's TypeORM connections run while recording (texts only: the values differ by design). */
class StatementRecorder implements EntitySubscriberInterface {
  recording: string[] | null = null;
  afterQuery(event: AfterQueryEvent): void {
    this.recording?.push(event.query);
  }
}

/**
 * Every Redis command with a key under the harness's prefix (the queues and
 * the rate-limit counters), as Redis itself sees them (MONITOR): pipelines and
 * scripts included, whichever client sent them. A raw connection: ioredis's
 * own monitor mode can take the first lines of a busy server's feed for a
 * command's reply and throw.
 */
class RedisRecorder {
  private readonly commands: string[][] = [];
  private readonly probe: Redis = redisClient();
  private socket?: Socket;
  private pending = '';
  private started = false;

  constructor(private readonly prefix: string) {}

  async start(): Promise<void> {
    const { hostname, port } = new URL(TEST_REDIS_URL);
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    this.socket = socket;
    await once(socket, 'connect');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.read(chunk));
    socket.write('MONITOR\r\n');
    await waitFor('MONITOR to start', () => this.started);
  }

  /** Lines of the feed: `+OK`, then `+<time> [<db> <client>] "<command>" "<arg>" ...` (arguments escaped as Redis's sdscatrepr does). */
  private read(chunk: string): void {
    this.pending += chunk;
    let end: number;
    while ((end = this.pending.indexOf('\r\n')) >= 0) {
      const line = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + 2);
      if (line === '+OK') this.started = true;
      const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => unescapeRedis(match[1]!));
      if (args.some((arg) => arg.startsWith(this.prefix))) this.commands.push(args);
    }
  }

  /** The commands since `from`, once Redis has shown every command sent before this call (a marker command closes the window). */
  async since(from: number): Promise<string[][]> {
    const marker = `${this.prefix}:marker:${randomUUID()}`;
    await this.probe.get(marker);
    await waitFor('the MONITOR feed to show the marker', () => this.commands.some((args) => args[1] === marker));
    const index = this.commands.findIndex((args) => args[1] === marker);
    const window = this.commands.slice(from, index);
    this.commands.splice(index, 1);
    return window;
  }

  get length(): number {
    return this.commands.length;
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    this.probe.disconnect();
  }
}

function unescapeRedis(text: string): string {
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', '"': '"', '\\': '\\' };
  return text.replace(/\\(x[0-9a-f]{2}|.)/g, (_, escaped: string) =>
    escaped.startsWith('x') && escaped.length === 3 ? String.fromCharCode(parseInt(escaped.slice(1), 16)) : (simple[escaped] ?? escaped),
  );
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A Redis command as the same work in either case: its name, its script (for
 * EVALSHA) and its keys with ids and counter subjects blanked. Argument
 * values (job data, timestamps) differ from request to request whatever the
 * address, so only their number is kept.
 */
function shapeOf(args: string[], prefix: string): string {
  const [name, ...rest] = args;
  const shaped = rest.map((arg) =>
    arg.startsWith(prefix)
      ? arg
          .replace(UUID, '<id>')
          .replace(/:(email|ip):[^:]+$/, ':$1:<subject>')
          .replace(/\.\d+$/, '')
      : /^[0-9a-f]{40}$/.test(arg)
        ? arg
        : '·',
  );
  return [name!.toLowerCase(), ...shaped].join(' ');
}

describe('Endpoints that take an address do the same work whether or not an account uses it (issue 19, item 2)', () => {
  let api: ApiHarness;
  const statements = new StatementRecorder();
  let redis: RedisRecorder;
  let prefix: string;

  beforeAll(async () => {
    // Rate limits on, as in production: their counters are part of the work compared.
    api = await createApiHarness();
    prefix = api.config.redis.queuePrefix;
    api.app.get(DataSource).subscribers.push(statements);
    redis = new RedisRecorder(prefix);
    await redis.start();
    for (const [email, verified] of [
      ['verified@example.com', true],
      ['unverified@example.com', false],
    ] as const) {
      await api.db.query(`INSERT INTO users (id, email, password_hash, email_verified_at) VALUES ($1, $2, 'x', $3)`, [
        uuidv7(),
        email,
        verified ? new Date() : null,
      ]);
    }
  });
  afterAll(async () => {
    await redis?.stop();
    await api?.close();
  });

  /** What one request does before its answer and in its post-commit dispatch: status, body, SQL statements, Redis commands. */
  async function trace(path: string, body: object) {
    statements.recording = [];
    const from = redis.length;
    const response = await api.post(path, body);
    await api.dispatched();
    const sql = statements.recording;
    statements.recording = null;
    const commands = (await redis.since(from)).map((args) => shapeOf(args, prefix));
    return { status: response.status, body: await response.text(), sql, commands };
  }

  const cases: [string, string, (address: string) => object, string, string, string | null, string][] = [
    // route, label, body, existing address, unknown address, what the existing one gets, kind
    [
      '/auth/password-reset',
      'password reset',
      (email) => ({ email }),
      'verified@example.com',
      'nobody-reset',
      SendPasswordResetEmail.name,
      'password-reset',
    ],
    [
      '/users/verification-email',
      'resend verification',
      (email) => ({ email }),
      'unverified@example.com',
      'nobody-resend',
      SendVerificationEmail.name,
      'verification-email',
    ],
    [
      '/users',
      'registration',
      (email) => ({ email, password: PASSWORD }),
      'verified@example.com',
      'newcomer',
      SendAccountExistsNotice.name,
      'registration',
    ],
  ];

  it.each(cases)(
    'POST %s (%s): the same statements and Redis commands, in order, for an existing and an unknown address',
    async (route, _label, body, existing, unknownName, jobOfExisting, kind) => {
      // Warm-up (not compared): the first request of a route loads scripts and prepares connections.
      await trace(route, body(`warm-up-${unknownName}@example.com`));
      const known = await trace(route, body(existing));
      const unknown = await trace(route, body(`${unknownName}@example.com`));

      expect(unknown.status).toBe(202);
      expect(unknown.body).toBe(known.body);
      expect(unknown.sql).toEqual(known.sql);
      expect(unknown.commands).toEqual(known.commands);
      // Not vacuous: the request is recorded and queued in both cases...
      expect(known.sql.some((sql) => sql.includes('INSERT INTO account_requests'))).toBe(true);
      expect(known.sql.some((sql) => /INSERT INTO "?outbox"?/.test(sql))).toBe(true);
      expect(known.commands.some((command) => command.startsWith('evalsha'))).toBe(true);
      // ...with the request's id only in Redis, never the address.
      const jobs = await api.accountsQueue.getJobs(['waiting']);
      expect(jobs.length).toBeGreaterThanOrEqual(3);
      for (const job of jobs) {
        expect(job.name).toBe(ResolveAccountRequest.name);
        expect(Object.keys(job.data as object).sort()).toEqual(['correlationId', 'eventId', 'requestId']);
        expect(JSON.stringify(job.data)).not.toContain('@');
      }
      const events = await api.db.query<{ payload: unknown }>(`SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id DESC LIMIT 1`, [
        AccountRequestReceived.eventType,
      ]);
      expect(events).toEqual([{ payload: { kind } }]);

      // The difference is made off the request path: only the existing address's request leads to an email job.
      const before = new Set((await api.emailQueue.getJobs(['waiting'])).map((job) => job.id));
      await api.settled();
      const added = (await api.emailQueue.getJobs(['waiting'])).filter((job) => !before.has(job.id));
      const existingUser = await api.db.query<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [existing]);
      expect(added.filter((job) => job.data.userId === existingUser[0]!.id).map((job) => job.name)).toEqual([jobOfExisting]);
      // The requests are resolved: no address is left behind.
      expect(await api.db.query(`SELECT id FROM account_requests`)).toEqual([]);
    },
  );
});
