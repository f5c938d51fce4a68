import { z } from 'zod';

/**
 * The one schema for every environment variable herald reads.
 * Add a variable here, in `.env.example` and in the README configuration table.
 */
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

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // auto: readable (pino-pretty) on a terminal outside production, JSON lines otherwise (piped, production).
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  PORT: port.default(3000),
  WORKER_PORT: port.default(3001),
  HTTP_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb')
    .default('100kb'),
  // Comma-separated origins allowed by CORS (e.g. https://app.example.com); empty: no cross-origin access.
  CORS_ORIGINS: commaSeparated(z.url({ protocol: /^https?$/ })),
  APP_BASE_URL: urlWithProtocols(['http', 'https']).default('http://localhost:3000'),
  // Proxies trusted to report the client's address: a hop count, or comma-separated IPs/CIDRs/loopback/linklocal/uniquelocal.
  TRUST_PROXY: trustProxy,

  DATABASE_URL: urlWithProtocols(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/herald'),
  // Connections per process. Default: 10 for the API and the CLI; for the worker, enough for every job and relay loop at once.
  DATABASE_POOL_SIZE: positiveInt.max(200).optional(),
  // Session limits of the API's and the worker's connections: no request or job waits long on a row lock,
  // runs a runaway statement, or holds a transaction open while it waits on something else.
  DATABASE_LOCK_TIMEOUT_MS: positiveInt.default(2000),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt.default(10000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: positiveInt.default(60000),

  REDIS_URL: urlWithProtocols(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  // Comma-separated redis:// URLs of Redis Cluster nodes; when set, herald talks to the cluster instead of REDIS_URL.
  REDIS_CLUSTER_NODES: commaSeparated(urlWithProtocols(['redis', 'rediss'])),
  // Braces make a Redis Cluster hash tag: all keys of all queues land in one slot.
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9{}_-]+$/, 'only letters, digits, braces, - and _')
    .default('{herald}'),

  SMTP_URL: urlWithProtocols(['smtp', 'smtps']).optional(),
  MAIL_FROM: z.string().min(3).default('herald <no-reply@herald.local>'),
  MAIL_DIR: z.string().min(1).default('var/mail'),
  // SMTP client limits; together well below WORKER_LOCK_DURATION_MS, so a hanging server fails the attempt
  // before the job's lock (and the inbox claim) could expire (nodemailer's own defaults are minutes).
  SMTP_CONNECTION_TIMEOUT_MS: positiveInt.default(5000),
  SMTP_GREETING_TIMEOUT_MS: positiveInt.default(5000),
  SMTP_SOCKET_TIMEOUT_MS: positiveInt.default(15000),
  // Pooled SMTP connections per worker process; 0 = a new connection for every message. The handshake is
  // most of a small message's cost; a killed worker re-sends no more with the pool than without
  // (test/fault/worker-crash).
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(0).max(100).default(5),
  // Which mail transport sends (libs/mail): default smtp when SMTP_URL is set, else file.
  MAIL_TRANSPORT: z.enum(['smtp', 'resend', 'file']).optional(),
  // A header carrying herald's idempotency key over SMTP, for relays that de-duplicate by one
  // (Resend-Idempotency-Key, X-EE-Idempotency-Key, Idempotency-Key); unset: none sent, SMTP stays at-least-once.
  SMTP_IDEMPOTENCY_HEADER: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'must be a header name (letters, digits and -)')
    .optional(),
  // How long the relay behind SMTP_IDEMPOTENCY_HEADER remembers a key (Resend, Lettermint, EmailEngine: 24 h).
  SMTP_IDEMPOTENCY_WINDOW_HOURS: positiveInt.max(24 * 365).default(24),
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: urlWithProtocols(['https', 'http']).default('https://api.resend.com'),
  // Longest wait for the mail API's answer; with MAIL_TRANSPORT=resend below WORKER_LOCK_DURATION_MS (start-up refuses otherwise).
  MAIL_API_TIMEOUT_MS: positiveInt.default(15000),

  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_TTL_SECONDS: positiveInt.default(3600),
  // Argon2 computations at once per API process; default: the number of CPUs.
  PASSWORD_HASH_CONCURRENCY: positiveInt.max(64).optional(),
  VERIFICATION_TOKEN_TTL_HOURS: positiveInt.max(24 * 30).default(24),
  // How long a password reset link works; short, as the link grants the account.
  PASSWORD_RESET_TOKEN_TTL_MINUTES: positiveInt.max(24 * 60).default(60),

  ADMIN_USER: z.string().min(1).optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  // Default: read-only in production, writable elsewhere.
  BULL_BOARD_READ_ONLY: flag.optional(),
  RATE_LIMIT_ENABLED: flag.default(true),

  OUTBOX_RELAY_ENABLED: flag.default(true),
  OUTBOX_GRACE_MS: z.coerce.number().int().min(0).default(5000),
  OUTBOX_RELAY_INTERVAL_MS: positiveInt.default(1000),
  OUTBOX_RELAY_BATCH_SIZE: positiveInt.max(5000).default(200),
  // Relay loops per worker process (they share the work through SKIP LOCKED).
  OUTBOX_RELAY_CONCURRENCY: positiveInt.max(16).default(2),
  OUTBOX_MAX_ATTEMPTS: positiveInt.max(100).default(10),
  // Committed events waiting for the post-commit dispatch (Redis slow); beyond it they are left to the relay.
  OUTBOX_DISPATCH_BACKLOG_LIMIT: positiveInt.max(1_000_000).default(10000),

  WORKER_CONCURRENCY: positiveInt.max(200).default(5),
  // Most emails sent per second by one worker process (BullMQ limiter on the email queue); 0 = no limit.
  EMAIL_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(0),
  WORKER_LOCK_DURATION_MS: positiveInt.default(30000),
  JOB_ATTEMPTS: positiveInt.max(50).default(5),
  JOB_BACKOFF_MS: positiveInt.default(2000),
  JOB_ENQUEUE_TIMEOUT_MS: positiveInt.default(2000),
  JOB_COMPLETED_RETENTION_HOURS: positiveInt.default(72),
  JOB_FAILED_RETENTION_DAYS: positiveInt.default(14),

  // Pruning of kept rows, run by the worker on one BullMQ job schedule per deployment (runbooks/retention.md).
  RETENTION_ENABLED: flag.default(true),
  RETENTION_INTERVAL_MS: positiveInt
    .min(1000)
    .max(7 * 24 * 3_600_000)
    .default(600_000),
  // Rows per DELETE statement; each statement is its own short transaction.
  RETENTION_BATCH_SIZE: positiveInt.max(10_000).default(1000),
  // Dispatched outbox rows: what outbox:reconcile can redeliver after a Redis loss.
  OUTBOX_RETENTION_HOURS: positiveInt.max(24 * 3650).default(24 * 7),
  // Done inbox records: what stops a redelivered event from sending a second email.
  INBOX_RETENTION_HOURS: positiveInt.max(24 * 3650).default(24 * 30),
  // Verification and password reset tokens once used, revoked or expired.
  TOKEN_RETENTION_HOURS: positiveInt.max(24 * 3650).default(24 * 7),

  STARTUP_TIMEOUT_MS: positiveInt.default(30000),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10000),
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
