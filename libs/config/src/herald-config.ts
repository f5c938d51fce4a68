import { availableParallelism } from 'node:os';
import {
  crossVariableProblems,
  deprecationWarnings,
  envSchema,
  parsedValueProblems,
  type ConfigWarning,
  type Env,
} from './config.schema.js';

/** Development-only JWT secret; production refuses to start without JWT_SECRET. */
const DEV_JWT_SECRET = 'herald-development-secret-do-not-use-in-production';

/**
 * The validated, typed and grouped configuration. It is also the DI token:
 * inject `HeraldConfig` wherever a setting is needed, never `process.env`.
 * Every type comes from the schema (through `groupSettings`): a setting's
 * type is written once, in config.schema.ts.
 */
export abstract class HeraldConfig {
  declare readonly env: Settings['env'];
  declare readonly logLevel: Settings['logLevel'];
  declare readonly logFormat: Settings['logFormat'];
  declare readonly http: Settings['http'];
  declare readonly database: Settings['database'];
  declare readonly redis: Settings['redis'];
  declare readonly mail: Settings['mail'];
  declare readonly auth: Settings['auth'];
  declare readonly admin: Settings['admin'];
  declare readonly outbox: Settings['outbox'];
  declare readonly worker: Settings['worker'];
  declare readonly jobs: Settings['jobs'];
  declare readonly retention: Settings['retention'];
  declare readonly lifecycle: Settings['lifecycle'];
  declare readonly warnings: Settings['warnings'];
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Parses the environment once; throws ConfigValidationError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): HeraldConfig {
  // Empty strings count as unset, as they do in most .env tooling.
  const raw = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(raw);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => {
          const [variable, ...item] = issue.path;
          return `${String(variable ?? '(environment)')}: ${item.length ? `item ${item.join('.')}: ` : ''}${issue.message}`;
        })),
    ...[...crossVariableProblems(raw), ...(parsed.success ? parsedValueProblems(parsed.data) : [])].map(
      (problem) => `${problem.variable}: ${problem.message}`,
    ),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigValidationError(problems);
  return groupSettings(parsed.data, raw);
}

type Settings = ReturnType<typeof groupSettings>;

/** The parsed variables, grouped by concern, with the defaults that depend on other values applied. */
function groupSettings(env: Env, raw: Record<string, string | undefined>) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    http: {
      port: env.PORT,
      bodyLimit: env.HTTP_BODY_LIMIT,
      appBaseUrl: env.APP_BASE_URL.replace(/\/+$/, ''),
      corsOrigins: env.CORS_ORIGINS,
      /** Express's `trust proxy`: a hop count, or trusted proxy addresses, CIDRs and range names. */
      trustProxy: env.TRUST_PROXY,
    },
    database: {
      url: env.DATABASE_URL,
      /** DATABASE_POOL_SIZE, or 10; the worker sizes its own default (see workerPoolSize). */
      poolSize: env.DATABASE_POOL_SIZE ?? 10,
      poolSizeSet: env.DATABASE_POOL_SIZE !== undefined,
      lockTimeoutMs: env.DATABASE_LOCK_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: env.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    redis: { url: env.REDIS_URL, clusterNodes: env.REDIS_CLUSTER_NODES, queuePrefix: env.QUEUE_PREFIX },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      dir: env.MAIL_DIR,
      connectionTimeoutMs: env.SMTP_CONNECTION_TIMEOUT_MS,
      greetingTimeoutMs: env.SMTP_GREETING_TIMEOUT_MS,
      socketTimeoutMs: env.SMTP_SOCKET_TIMEOUT_MS,
      /** Pooled connections; 0: one connection per message. */
      maxConnections: env.SMTP_MAX_CONNECTIONS,
      transport: env.MAIL_TRANSPORT ?? (env.SMTP_URL ? 'smtp' : 'file'),
      smtpIdempotencyHeader: env.SMTP_IDEMPOTENCY_HEADER,
      smtpIdempotencyWindowHours: env.SMTP_IDEMPOTENCY_WINDOW_HOURS,
      resend: { apiKey: env.RESEND_API_KEY, baseUrl: env.RESEND_BASE_URL.replace(/\/+$/, '') },
      apiTimeoutMs: env.MAIL_API_TIMEOUT_MS,
    },
    auth: {
      jwtSecret: env.JWT_SECRET ?? DEV_JWT_SECRET,
      jwtTtlSeconds: env.JWT_TTL_SECONDS,
      verificationTokenTtlHours: env.VERIFICATION_TOKEN_TTL_HOURS,
      passwordResetTokenTtlMinutes: env.PASSWORD_RESET_TOKEN_TTL_MINUTES,
      passwordHashConcurrency: env.PASSWORD_HASH_CONCURRENCY ?? availableParallelism(),
      rateLimitEnabled: env.RATE_LIMIT_ENABLED,
    },
    admin: {
      user: env.ADMIN_USER,
      password: env.ADMIN_PASSWORD,
      /** ADMIN_READ_ONLY (or its deprecated alias BULL_BOARD_READ_ONLY): writes to Bull Board and the outbox console answer 405. */
      readOnly: env.ADMIN_READ_ONLY ?? env.BULL_BOARD_READ_ONLY ?? env.NODE_ENV === 'production',
    },
    outbox: {
      relayEnabled: env.OUTBOX_RELAY_ENABLED,
      graceMs: env.OUTBOX_GRACE_MS,
      relayIntervalMs: env.OUTBOX_RELAY_INTERVAL_MS,
      batchSize: env.OUTBOX_RELAY_BATCH_SIZE,
      relayConcurrency: env.OUTBOX_RELAY_CONCURRENCY,
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
      dispatchBacklogLimit: env.OUTBOX_DISPATCH_BACKLOG_LIMIT,
      dispatchConcurrency: env.OUTBOX_DISPATCH_CONCURRENCY,
      markBacklogLimit: env.OUTBOX_MARK_BACKLOG_LIMIT,
    },
    worker: {
      port: env.WORKER_PORT,
      concurrency: env.WORKER_CONCURRENCY,
      lockDurationMs: env.WORKER_LOCK_DURATION_MS,
      emailRateLimitPerSecond: env.EMAIL_RATE_LIMIT_PER_SECOND,
    },
    jobs: {
      attempts: env.JOB_ATTEMPTS,
      backoffMs: env.JOB_BACKOFF_MS,
      enqueueTimeoutMs: env.JOB_ENQUEUE_TIMEOUT_MS,
      completedRetentionHours: env.JOB_COMPLETED_RETENTION_HOURS,
      failedRetentionDays: env.JOB_FAILED_RETENTION_DAYS,
    },
    retention: {
      enabled: env.RETENTION_ENABLED,
      intervalMs: env.RETENTION_INTERVAL_MS,
      batchSize: env.RETENTION_BATCH_SIZE,
      outboxHours: env.OUTBOX_RETENTION_HOURS,
      inboxHours: env.INBOX_RETENTION_HOURS,
      tokenHours: env.TOKEN_RETENTION_HOURS,
    },
    lifecycle: { startupTimeoutMs: env.STARTUP_TIMEOUT_MS, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    /** What the apps log as warnings at start-up (deprecated variables that are set). */
    warnings: deprecationWarnings(raw) as readonly ConfigWarning[],
  };
}

/**
 * Connections the worker needs at once: one per concurrent job (each holds
 * one only during its short claim and completion transactions), one per relay
 * loop, and one for its own upkeep (readiness, metrics, post-commit marks).
 */
export function workerPoolNeed(config: Pick<HeraldConfig, 'worker' | 'outbox'>): number {
  return config.worker.concurrency + config.outbox.relayConcurrency + 1;
}

/**
 * The worker's pool size: DATABASE_POOL_SIZE when set — refused, naming the
 * variables, when it cannot serve every job and relay loop at once (jobs
 * would fail waiting for a connection) — otherwise just enough.
 */
export function workerPoolSize(config: Pick<HeraldConfig, 'database' | 'worker' | 'outbox'>): number {
  const need = workerPoolNeed(config);
  if (!config.database.poolSizeSet) return Math.max(config.database.poolSize, need);
  if (config.database.poolSize < need) {
    throw new ConfigValidationError([
      `DATABASE_POOL_SIZE: ${config.database.poolSize} connections cannot serve WORKER_CONCURRENCY (${config.worker.concurrency}) ` +
        `+ OUTBOX_RELAY_CONCURRENCY (${config.outbox.relayConcurrency}) + 1 for the worker's upkeep = ${need}; ` +
        `raise DATABASE_POOL_SIZE to at least ${need} or leave it unset`,
    ]);
  }
  return config.database.poolSize;
}
