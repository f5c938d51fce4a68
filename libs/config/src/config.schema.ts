import { z } from 'zod';

// The one schema for every environment variable herald reads is envSchema below; add a variable there
// (with its description) and in `.env.example`, then run `npm run docs:config` for the README table.
const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const TRUTHY = ['true', '1', 'yes', 'on'];
const flag = z.stringbool({ truthy: TRUTHY, falsy: ['false', '0', 'no', 'off'] });
const urlWithProtocols = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL with protocol ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );

/** A comma-separated list (blank items dropped), each item checked by `item`; empty by default. */
const commaSeparated = (item: z.ZodType<string, string>) =>
  z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

/** Express's names for address ranges: 127.0.0.1/8 and ::1; 169.254.0.0/16 and fe80::/10; 10/8, 172.16/12, 192.168/16 and fc00::/7. */
export const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;
const proxyAddress = z.union([z.enum(PROXY_RANGE_NAMES), z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
const MAX_PROXY_HOPS = 100;

/**
 * Express's `trust proxy`: which hops in front of the API are believed about
 * the client's address (X-Forwarded-For). A hop count (`0` = none: the peer of
 * the socket is the client), or the proxies' addresses. `true` ("everyone")
 * is refused: any client could then pick its own address and escape the
 * per-address rate limits.
 */
const trustProxy = z
  .string()
  .default('loopback')
  .transform((value, context): number | string[] => {
    const text = value.trim();
    if (/^\d+$/.test(text) && Number(text) <= MAX_PROXY_HOPS) return Number(text);
    const items = text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const bad = items.filter((item) => !proxyAddress.safeParse(item).success);
    if (items.length > 0 && bad.length === 0) return items;
    context.addIssue({
      code: 'custom',
      message:
        `must be a hop count (0 to ${MAX_PROXY_HOPS}) or a comma-separated list of IP addresses, CIDRs and ${PROXY_RANGE_NAMES.join(', ')}` +
        (bad.length > 0 ? `; not understood: ${bad.map((item) => JSON.stringify(item)).join(', ')}` : ''),
    });
    return z.NEVER;
  });

/**
 * What the README's configuration table says of a variable. The table is
 * generated from here (`npm run docs:config`); a variable's type and default
 * are read from its schema unless given (computed defaults, URL and list types).
 */
export interface SettingDoc {
  /** One line: what the variable does and its rules (Markdown). */
  readonly description: string;
  /** The type as a reader should see it, when the schema's own (enum, integer range, boolean, string) would not say it. */
  readonly type?: string;
  /** The default as a reader should see it, when it is not the schema's literal default. */
  readonly default?: string;
}

/** Every variable's SettingDoc, keyed by its schema. */
export const settingDocs = z.registry<SettingDoc>();

/** A variable's schema with its documentation. */
function setting<T extends z.ZodType>(schema: T, doc: SettingDoc): T {
  settingDocs.add(schema, doc);
  return schema;
}

const URL_TYPE = 'URL';
const URL_LIST_TYPE = 'comma-separated URLs';

/**
 * The one schema for every environment variable herald reads: validation,
 * type, default and description. HeraldConfig (herald-config.ts) is typed
 * from it and the README table is generated from it; `.env.example` names
 * them all (test/deploy/deploy-files.spec.ts).
 */
export const envSchema = z.object({
  NODE_ENV: setting(z.enum(['development', 'test', 'production']).default('development'), {
    description: '`production` requires `JWT_SECRET`, a strong `ADMIN_PASSWORD`, and makes the admin areas read-only by default',
  }),
  LOG_LEVEL: setting(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
    description: 'pino level',
  }),
  LOG_FORMAT: setting(z.enum(['auto', 'json', 'pretty']).default('auto'), {
    description:
      "`json`: JSON lines; `pretty`: readable lines (pino-pretty); `auto`: `pretty` when stdout is a terminal (with `npm start` and `npm run start:*`: the launcher's) and `NODE_ENV` is not `production`, else `json` (so piped output and production stay JSON)",
  }),
  PORT: setting(port.default(3000), { description: 'API port' }),
  WORKER_PORT: setting(port.default(3001), { description: 'worker health port (`/health/live`, `/health/ready`, `/metrics`)' }),
  HTTP_BODY_LIMIT: setting(
    z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb')
      .default('100kb'),
    { type: 'size (`b`, `kb`, `mb`)', description: 'largest JSON body (larger gets `413`)' },
  ),
  CORS_ORIGINS: setting(commaSeparated(z.url({ protocol: /^https?$/ })), {
    type: URL_LIST_TYPE,
    default: 'empty',
    description: 'origins allowed by CORS (e.g. `https://app.example.com`); empty means no cross-origin access',
  }),
  APP_BASE_URL: setting(urlWithProtocols(['http', 'https']).default('http://localhost:3000'), {
    type: URL_TYPE,
    description: 'public base URL of the API: the links in emails start with it',
  }),
  TRUST_PROXY: setting(trustProxy, {
    type: 'hop count, or comma-separated addresses',
    default: '`loopback`',
    description:
      'proxies believed about the client address the rate limits count: a hop count (`1` = one load balancer, `0` = none) or a list of IPs, CIDRs, `loopback`, `linklocal`, `uniquelocal`',
  }),

  DATABASE_URL: setting(urlWithProtocols(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/herald'), {
    type: URL_TYPE,
    description: 'Postgres',
  }),
  DATABASE_POOL_SIZE: setting(positiveInt.max(200).optional(), {
    default: '`10`; worker: just enough',
    description:
      'connections per process. The worker needs `WORKER_CONCURRENCY + OUTBOX_RELAY_CONCURRENCY + 1` (a job holds one only during its two short transactions); unset, it takes that many; set smaller, the worker refuses to start, naming the variables',
  }),
  // Session limits of the API's and the worker's connections: no request or job waits long on a row lock,
  // runs a runaway statement, or holds a transaction open while it waits on something else.
  DATABASE_LOCK_TIMEOUT_MS: setting(positiveInt.default(2000), {
    description: "longest wait for a row lock in the API's and the worker's sessions (`lock_timeout`); a request that hits it gets `503`",
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: setting(positiveInt.default(10000), {
    description: "longest statement in the API's and the worker's sessions (`statement_timeout`; not the CLI's or migrations')",
  }),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: setting(positiveInt.default(60000), {
    description:
      'Postgres ends a session of the API or the worker that sits idle inside a transaction this long (a safety net: no code holds a transaction across a network call)',
  }),

  REDIS_URL: setting(urlWithProtocols(['redis', 'rediss']).default('redis://127.0.0.1:6379'), {
    type: URL_TYPE,
    description: 'Redis for BullMQ and the rate limit counters',
  }),
  REDIS_CLUSTER_NODES: setting(commaSeparated(urlWithProtocols(['redis', 'rediss'])), {
    type: URL_LIST_TYPE,
    default: 'empty',
    description:
      '`redis://` URLs of Redis Cluster nodes; when set, every connection uses the cluster (credentials/TLS from the first URL) and `QUEUE_PREFIX` must contain a `{hash tag}`',
  }),
  QUEUE_PREFIX: setting(
    z
      .string()
      .regex(/^[A-Za-z0-9{}_-]+$/, 'only letters, digits, braces, - and _')
      .default('{herald}'),
    {
      description:
        'BullMQ key prefix (letters, digits, braces, `-`, `_`); braces = Redis Cluster hash tag: all keys of all queues in one slot',
    },
  ),

  SMTP_URL: setting(urlWithProtocols(['smtp', 'smtps']).optional(), {
    type: URL_TYPE,
    description: '`smtp://host:port`; unset writes mail to `MAIL_DIR` and logs the verification link (not in production)',
  }),
  MAIL_FROM: setting(z.string().min(3).default('herald <no-reply@herald.local>'), { description: 'sender' }),
  MAIL_DIR: setting(z.string().min(1).default('var/mail'), { description: 'where the file transport writes `.eml` files' }),
  // SMTP client limits; together well below WORKER_LOCK_DURATION_MS, so a hanging server fails the attempt
  // before the job's lock (and the inbox claim) could expire (nodemailer's own defaults are minutes).
  SMTP_CONNECTION_TIMEOUT_MS: setting(positiveInt.default(5000), { description: 'SMTP: longest wait to connect' }),
  SMTP_GREETING_TIMEOUT_MS: setting(positiveInt.default(5000), { description: "SMTP: longest wait for the server's greeting" }),
  SMTP_SOCKET_TIMEOUT_MS: setting(positiveInt.default(15000), {
    description:
      'SMTP: longest silence during a conversation (a slow server must answer within it). The three together must not exceed `WORKER_LOCK_DURATION_MS` (start-up refuses), so a hanging server fails the attempt before its job can be taken for dead',
  }),
  // The handshake is most of a small message's cost; a killed worker re-sends no more with the pool than
  // without (test/fault/worker-crash).
  SMTP_MAX_CONNECTIONS: setting(z.coerce.number().int().min(0).max(100).default(5), {
    description:
      "SMTP connections each worker process keeps open and reuses (nodemailer's pool; a repeat after a crash is still only a message the server received in full that nobody recorded); `0` opens a new connection for every message",
  }),
  MAIL_TRANSPORT: setting(z.enum(['smtp', 'resend', 'file']).optional(), {
    default: '`smtp` with `SMTP_URL`, else `file`',
    description:
      'which transport sends mail (README "Exactly once, per transport"): `smtp` (`SMTP_URL`), `resend` (Resend\'s HTTP API: `RESEND_API_KEY`; de-duplicates by idempotency key for 24 h) or `file` (`.eml` files in `MAIL_DIR`)',
  }),
  SMTP_IDEMPOTENCY_HEADER: setting(
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'must be a header name (letters, digits and -)')
      .optional(),
    {
      type: 'header name',
      default: 'unset',
      description:
        "a header carrying herald's idempotency key over SMTP, for relays that de-duplicate by one (`Resend-Idempotency-Key`, `X-EE-Idempotency-Key`, `Idempotency-Key`); unset: none is sent and SMTP stays at-least-once",
    },
  ),
  SMTP_IDEMPOTENCY_WINDOW_HOURS: setting(positiveInt.max(24 * 365).default(24), {
    description: 'how long the relay behind `SMTP_IDEMPOTENCY_HEADER` remembers a key (Resend, Lettermint, EmailEngine: 24 h)',
  }),
  RESEND_API_KEY: setting(z.string().min(1).optional(), {
    default: 'unset',
    description: 'Resend API key with sending access; required with `MAIL_TRANSPORT=resend`',
  }),
  RESEND_BASE_URL: setting(urlWithProtocols(['https', 'http']).default('https://api.resend.com'), {
    type: URL_TYPE,
    description: "Resend's API (another base URL for an emulator or a proxy)",
  }),
  MAIL_API_TIMEOUT_MS: setting(positiveInt.default(15000), {
    description:
      "longest wait for the mail API's answer; with `MAIL_TRANSPORT=resend` it must stay below `WORKER_LOCK_DURATION_MS` (start-up refuses otherwise)",
  }),

  JWT_SECRET: setting(z.string().min(32, 'must be at least 32 characters').optional(), {
    default: 'dev-only built-in',
    description: 'HS256 secret, ≥ 32 chars; required in production',
  }),
  JWT_TTL_SECONDS: setting(positiveInt.default(3600), { description: 'access token lifetime' }),
  PASSWORD_HASH_CONCURRENCY: setting(positiveInt.max(64).optional(), {
    default: 'number of CPUs',
    description: 'Argon2 hashes at once per API process (each is CPU-bound and holds 19 MiB; more than the cores adds memory, not speed)',
  }),
  VERIFICATION_TOKEN_TTL_HOURS: setting(positiveInt.max(24 * 30).default(24), { description: 'verification link lifetime' }),
  PASSWORD_RESET_TOKEN_TTL_MINUTES: setting(positiveInt.max(24 * 60).default(60), {
    description: 'password reset link lifetime (short: the link grants the account)',
  }),

  ADMIN_USER: setting(z.string().min(1).optional(), {
    description: 'Bull Board and outbox console user (HTTP Basic); set together with `ADMIN_PASSWORD`, without them neither area is served',
  }),
  ADMIN_PASSWORD: setting(z.string().min(12, 'must be at least 12 characters').optional(), {
    description:
      'Bull Board and outbox console password, at least 12 characters; in production a weak one stops start-up ([rule](runbooks/admin-access.md))',
  }),
  ADMIN_READ_ONLY: setting(flag.optional(), {
    default: '`true` in production, else `false`',
    description: 'read-only Bull Board and outbox console: write actions answer `405`',
  }),
  BULL_BOARD_READ_ONLY: setting(flag.optional(), {
    description: 'deprecated old name of `ADMIN_READ_ONLY`: still read, with a warning at start-up, when `ADMIN_READ_ONLY` is unset',
  }),
  RATE_LIMIT_ENABLED: setting(flag.default(true), {
    description:
      "the API's own rate limits (register, resend, verify, login, admin; counters in Redis, shared by all API instances); `false` behind a limiting gateway or for load tests",
  }),

  OUTBOX_RELAY_ENABLED: setting(flag.default(true), { description: 'run the relay in the worker' }),
  OUTBOX_GRACE_MS: setting(z.coerce.number().int().min(0).default(5000), {
    description: 'how long after commit the relay leaves a row to the in-process dispatch',
  }),
  OUTBOX_RELAY_INTERVAL_MS: setting(positiveInt.default(1000), {
    description: 'relay poll interval when idle (a full batch polls again at once)',
  }),
  OUTBOX_RELAY_BATCH_SIZE: setting(positiveInt.max(5000).default(200), { description: 'rows claimed per relay pass' }),
  OUTBOX_RELAY_CONCURRENCY: setting(positiveInt.max(16).default(2), {
    description: 'relay loops per worker process (they share rows through `SKIP LOCKED`)',
  }),
  OUTBOX_MAX_ATTEMPTS: setting(positiveInt.max(100).default(10), {
    description: 'relay attempts before a poison row goes to `dead` (Redis outages never count)',
  }),
  OUTBOX_DISPATCH_BACKLOG_LIMIT: setting(positiveInt.max(1_000_000).default(10000), {
    description:
      'committed events a process holds for its post-commit dispatch while Redis is slow; beyond it they are left to the relay (their rows are pending: nothing is lost) and counted in `herald_outbox_dispatch_overflow_total`',
  }),
  OUTBOX_DISPATCH_CONCURRENCY: setting(positiveInt.max(64).default(4), {
    description:
      "post-commit enqueues on their way to Redis at once: below it a commit's jobs go at once, else with the next commits' (lower: less CPU per event under load; higher: lower commit-to-enqueue latency)",
  }),
  OUTBOX_MARK_BACKLOG_LIMIT: setting(positiveInt.max(1_000_000).default(10000), {
    description:
      'dispatched events a process holds while their rows wait to be marked (Postgres slow or away); beyond it the marks are dropped and counted in `herald_outbox_marks_lost_total`: the relay delivers those events again after the grace period, deduplicated',
  }),

  WORKER_CONCURRENCY: setting(positiveInt.max(200).default(5), { description: 'jobs processed at once per worker process' }),
  EMAIL_RATE_LIMIT_PER_SECOND: setting(z.coerce.number().int().min(0).default(0), {
    description: 'most emails one worker process sends per second (BullMQ limiter on the email queue; `0` = no limit)',
  }),
  WORKER_LOCK_DURATION_MS: setting(positiveInt.default(30000), {
    description:
      'BullMQ job lock; the jobs of a worker that died run again within ~1.25 lock durations (stalled check every quarter lock; trade-off in [runbooks/job-queue.md](runbooks/job-queue.md)); also the lease of an inbox claim',
  }),
  JOB_ATTEMPTS: setting(positiveInt.max(50).default(5), { description: 'attempts per job (exponential backoff)' }),
  JOB_BACKOFF_MS: setting(positiveInt.default(2000), { description: 'first retry delay' }),
  JOB_ENQUEUE_TIMEOUT_MS: setting(positiveInt.default(2000), {
    description: 'how long a dispatch waits for Redis before leaving the event to the relay',
  }),
  JOB_COMPLETED_RETENTION_HOURS: setting(positiveInt.default(72), {
    description: 'completed jobs kept (by age, never by count) — must outlast any redelivery, so job-id de-duplication holds',
  }),
  JOB_FAILED_RETENTION_DAYS: setting(positiveInt.default(14), { description: 'failed jobs kept for inspection and retry' }),

  RETENTION_ENABLED: setting(flag.default(true), {
    description:
      'prune kept rows on a schedule (the worker; one BullMQ job scheduler per deployment); `false` removes the schedules at the next worker boot — [runbooks/retention.md](runbooks/retention.md)',
  }),
  RETENTION_INTERVAL_MS: setting(
    positiveInt
      .min(1000)
      .max(7 * 24 * 3_600_000)
      .default(600_000),
    { description: 'time between pruning runs (1 s to 7 days)' },
  ),
  RETENTION_BATCH_SIZE: setting(positiveInt.max(10_000).default(1000), {
    description: 'rows per `DELETE` statement, each its own short transaction',
  }),
  OUTBOX_RETENTION_HOURS: setting(positiveInt.max(24 * 3650).default(24 * 7), {
    description:
      'dispatched outbox rows kept; at least `JOB_COMPLETED_RETENTION_HOURS` (what `outbox:reconcile` redelivers after a Redis loss)',
  }),
  INBOX_RETENTION_HOURS: setting(positiveInt.max(24 * 3650).default(24 * 30), {
    description:
      "done inbox records kept (what stops a redelivered event from sending a second email); at least the longest of `OUTBOX_RETENTION_HOURS`, `JOB_FAILED_RETENTION_DAYS` and `JOB_COMPLETED_RETENTION_HOURS` plus the retries' backoff",
  }),
  TOKEN_RETENTION_HOURS: setting(positiveInt.max(24 * 3650).default(24 * 7), {
    description:
      'verification and password reset tokens kept after they were used, revoked or expired; an account request the worker never resolved (its job failed for good) is deleted this long after it was made',
  }),

  STARTUP_TIMEOUT_MS: setting(positiveInt.default(30000), {
    description:
      "how long the API and the worker wait for Postgres and Redis (Redis Cluster: a read in the queues' slot) before refusing to start, naming which one at which address (password masked)",
  }),
  SHUTDOWN_TIMEOUT_MS: setting(positiveInt.default(10000), { description: 'bound on a graceful stop' }),
});

/** The production rule for ADMIN_PASSWORD, as the start-up error and the README state it. */
export const ADMIN_PASSWORD_RULE =
  'at least 16 characters, at least 8 different ones, not containing ADMIN_USER, and not a placeholder such as "change-me"';

/** Placeholders shipped in examples and compose files: letters only, lower case ("admin-change-me" → "adminchangeme"). */
const PLACEHOLDERS = ['changeme', 'changethis', 'replaceme', 'yourpassword'];

/**
 * Why an admin password is too weak for production, or null. The admin areas
 * can requeue events and retry or remove jobs; their password is throttled
 * per address (RATE_LIMITS.admin), and this rule makes guessing it hopeless
 * from many addresses too. Never says what the password is.
 */
export function adminPasswordWeakness(password: string, user: string | undefined): string | null {
  if ([...password].length < 16) return 'must be at least 16 characters';
  if (new Set(password).size < 8) return 'must have at least 8 different characters';
  if (user && password.toLowerCase().includes(user.toLowerCase())) return 'must not contain ADMIN_USER';
  const letters = password.toLowerCase().replace(/[^a-z]/g, '');
  if (PLACEHOLDERS.some((placeholder) => letters.includes(placeholder))) return 'must not be a placeholder or default';
  return null;
}

/**
 * Rules that involve several variables. They run on the raw environment, so
 * they are reported even when some other variable is malformed.
 */
export function crossVariableProblems(raw: Record<string, string | undefined>): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const production = raw.NODE_ENV === 'production';
  if (production && !raw.JWT_SECRET) problems.push({ variable: 'JWT_SECRET', message: 'is required when NODE_ENV=production' });
  if ((raw.ADMIN_USER === undefined) !== (raw.ADMIN_PASSWORD === undefined)) {
    problems.push({
      variable: raw.ADMIN_USER === undefined ? 'ADMIN_USER' : 'ADMIN_PASSWORD',
      message: 'ADMIN_USER and ADMIN_PASSWORD must be set together',
    });
  }
  if (production && raw.ADMIN_PASSWORD !== undefined) {
    const weakness = adminPasswordWeakness(raw.ADMIN_PASSWORD, raw.ADMIN_USER);
    if (weakness) problems.push({ variable: 'ADMIN_PASSWORD', message: `${weakness} when NODE_ENV=production (${ADMIN_PASSWORD_RULE})` });
  }
  const transport = raw.MAIL_TRANSPORT ?? (raw.SMTP_URL ? 'smtp' : 'file');
  if (transport === 'smtp' && !raw.SMTP_URL) problems.push({ variable: 'SMTP_URL', message: 'is required when MAIL_TRANSPORT=smtp' });
  if (transport === 'resend' && !raw.RESEND_API_KEY) {
    problems.push({ variable: 'RESEND_API_KEY', message: 'is required when MAIL_TRANSPORT=resend (an API key with sending access)' });
  }
  if ((raw.REDIS_CLUSTER_NODES ?? '').trim() && !/\{[^{}]+\}/.test(raw.QUEUE_PREFIX ?? '{herald}')) {
    problems.push({ variable: 'QUEUE_PREFIX', message: 'must contain a {hash tag} when REDIS_CLUSTER_NODES is set' });
  }
  return problems;
}

export type Env = z.infer<typeof envSchema>;

/** Old names still read in place of their successors (operators have them set), each with a warning at start-up. */
export const DEPRECATED_VARIABLES = { BULL_BOARD_READ_ONLY: 'ADMIN_READ_ONLY' } as const satisfies Partial<Record<keyof Env, keyof Env>>;

/** A variable of the environment worth a warning at start-up (herald still starts). */
export interface ConfigWarning {
  readonly variable: string;
  readonly message: string;
}

/** One warning per deprecated variable that is set: rename it, or remove it when its successor is set too (the successor wins). */
export function deprecationWarnings(raw: Record<string, string | undefined>): ConfigWarning[] {
  return Object.entries(DEPRECATED_VARIABLES)
    .filter(([old]) => raw[old] !== undefined)
    .map(([old, successor]) => ({
      variable: old,
      message:
        raw[successor] === undefined
          ? `${old} is deprecated: rename it ${successor} (same values); it is still read for now`
          : `${old} is deprecated and ignored: ${successor} is set and wins; remove ${old}`,
    }));
}

/** Rules between parsed values (defaults applied); checked once every variable is well-formed. */
export function parsedValueProblems(env: Env): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const smtpMs = env.SMTP_CONNECTION_TIMEOUT_MS + env.SMTP_GREETING_TIMEOUT_MS + env.SMTP_SOCKET_TIMEOUT_MS;
  // The SMTP limits bind whenever SMTP may be used; the Resend transport has its own (MAIL_API_TIMEOUT_MS).
  if (env.MAIL_TRANSPORT !== 'resend' && smtpMs > env.WORKER_LOCK_DURATION_MS) {
    problems.push({
      variable: 'SMTP_SOCKET_TIMEOUT_MS',
      message:
        `SMTP_CONNECTION_TIMEOUT_MS + SMTP_GREETING_TIMEOUT_MS + SMTP_SOCKET_TIMEOUT_MS (${smtpMs} ms) must not exceed ` +
        `WORKER_LOCK_DURATION_MS (${env.WORKER_LOCK_DURATION_MS} ms): a send must give up before its job can be taken for dead and run again`,
    });
  }
  if (env.MAIL_TRANSPORT === 'resend' && env.MAIL_API_TIMEOUT_MS >= env.WORKER_LOCK_DURATION_MS) {
    problems.push({
      variable: 'MAIL_API_TIMEOUT_MS',
      message:
        `(${env.MAIL_API_TIMEOUT_MS} ms) must be below WORKER_LOCK_DURATION_MS (${env.WORKER_LOCK_DURATION_MS} ms): ` +
        'a send must give up before its job can be taken for dead and run again',
    });
  }
  return [...problems, ...retentionProblems(env)];
}

/** Hours from a job's first attempt to its last: the exponential backoff between JOB_ATTEMPTS attempts. */
export function jobRetrySpanHours(env: Pick<Env, 'JOB_ATTEMPTS' | 'JOB_BACKOFF_MS'>): number {
  const spanMs = env.JOB_BACKOFF_MS * (2 ** (env.JOB_ATTEMPTS - 1) - 1);
  return Math.ceil(spanMs / 3_600_000);
}

/**
 * Retention must never forget what de-duplication still relies on:
 * - a dispatched outbox row is what `outbox:reconcile` redelivers while the
 *   completed job that de-duplicates it may be gone (Redis lost), so rows stay
 *   at least as long as completed jobs;
 * - an inbox record is what stops any redelivery from sending a second email,
 *   so it outlives every way an event can come back: an outbox row still kept
 *   (operators redeliver dispatched rows), a failed job kept for an operator's
 *   retry, and the retries of a job that completed once (their backoff).
 */
function retentionProblems(env: Env): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  if (env.OUTBOX_RETENTION_HOURS < env.JOB_COMPLETED_RETENTION_HOURS) {
    problems.push({
      variable: 'OUTBOX_RETENTION_HOURS',
      message:
        `(${env.OUTBOX_RETENTION_HOURS}h) must be at least JOB_COMPLETED_RETENTION_HOURS (${env.JOB_COMPLETED_RETENTION_HOURS}h): ` +
        'outbox:reconcile redelivers dispatched rows from that window after a Redis loss',
    });
  }
  const retrySpan = jobRetrySpanHours(env);
  const needed = Math.max(env.OUTBOX_RETENTION_HOURS, env.JOB_FAILED_RETENTION_DAYS * 24, env.JOB_COMPLETED_RETENTION_HOURS) + retrySpan;
  if (env.INBOX_RETENTION_HOURS < needed) {
    problems.push({
      variable: 'INBOX_RETENTION_HOURS',
      message:
        `(${env.INBOX_RETENTION_HOURS}h) must be at least ${needed}h: the longest of OUTBOX_RETENTION_HOURS (${env.OUTBOX_RETENTION_HOURS}h), ` +
        `JOB_FAILED_RETENTION_DAYS (${env.JOB_FAILED_RETENTION_DAYS}d = ${env.JOB_FAILED_RETENTION_DAYS * 24}h) and ` +
        `JOB_COMPLETED_RETENTION_HOURS (${env.JOB_COMPLETED_RETENTION_HOURS}h), plus the retry span of JOB_ATTEMPTS and JOB_BACKOFF_MS ` +
        `(${retrySpan}h): an inbox record must outlive every redelivery of its event, or a second email is sent`,
    });
  }
  return problems;
}
