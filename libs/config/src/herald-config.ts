import { availableParallelism } from 'node:os';
import { crossVariableProblems, envSchema, type Env } from './config.schema.js';

/** Development-only JWT secret; production refuses to start without JWT_SECRET. */
const DEV_JWT_SECRET = 'herald-development-secret-do-not-use-in-production';

/**
 * The validated, typed and grouped configuration. It is also the DI token:
 * inject `HeraldConfig` wherever a setting is needed, never `process.env`.
 */
export abstract class HeraldConfig {
  declare readonly env: Env['NODE_ENV'];
  declare readonly logLevel: Env['LOG_LEVEL'];
  declare readonly http: {
    port: number;
    bodyLimit: string;
    appBaseUrl: string;
    corsOrigins: string[];
    /** Express's `trust proxy`: a hop count, or trusted proxy addresses, CIDRs and range names. */
    trustProxy: number | string[];
  };
  declare readonly database: { url: string; poolSize: number };
  declare readonly redis: { url: string; clusterNodes: string[]; queuePrefix: string };
  declare readonly mail: { smtpUrl?: string; from: string; dir: string };
  declare readonly auth: {
    jwtSecret: string;
    jwtTtlSeconds: number;
    verificationTokenTtlHours: number;
    passwordHashConcurrency: number;
    rateLimitEnabled: boolean;
  };
  declare readonly admin: { user?: string; password?: string; boardReadOnly: boolean };
  declare readonly outbox: {
    relayEnabled: boolean;
    graceMs: number;
    relayIntervalMs: number;
    batchSize: number;
    relayConcurrency: number;
    maxAttempts: number;
  };
  declare readonly worker: { port: number; concurrency: number; lockDurationMs: number; emailRateLimitPerSecond: number };
  declare readonly jobs: {
    attempts: number;
    backoffMs: number;
    enqueueTimeoutMs: number;
    completedRetentionHours: number;
    failedRetentionDays: number;
  };
  declare readonly lifecycle: { startupTimeoutMs: number; shutdownTimeoutMs: number };
  declare readonly faults: { crashAfterCommit: boolean; skipDispatch: boolean };
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
    ...crossVariableProblems(raw).map((problem) => `${problem.variable}: ${problem.message}`),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigValidationError(problems);
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      port: env.PORT,
      bodyLimit: env.HTTP_BODY_LIMIT,
      appBaseUrl: env.APP_BASE_URL.replace(/\/+$/, ''),
      corsOrigins: env.CORS_ORIGINS,
      trustProxy: env.TRUST_PROXY,
    },
    database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE },
    redis: { url: env.REDIS_URL, clusterNodes: env.REDIS_CLUSTER_NODES, queuePrefix: env.QUEUE_PREFIX },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      dir: env.MAIL_DIR,
    },
    auth: {
      jwtSecret: env.JWT_SECRET ?? DEV_JWT_SECRET,
      jwtTtlSeconds: env.JWT_TTL_SECONDS,
      verificationTokenTtlHours: env.VERIFICATION_TOKEN_TTL_HOURS,
      passwordHashConcurrency: env.PASSWORD_HASH_CONCURRENCY ?? availableParallelism(),
      rateLimitEnabled: env.RATE_LIMIT_ENABLED,
    },
    admin: {
      user: env.ADMIN_USER,
      password: env.ADMIN_PASSWORD,
      boardReadOnly: env.BULL_BOARD_READ_ONLY ?? env.NODE_ENV === 'production',
    },
    outbox: {
      relayEnabled: env.OUTBOX_RELAY_ENABLED,
      graceMs: env.OUTBOX_GRACE_MS,
      relayIntervalMs: env.OUTBOX_RELAY_INTERVAL_MS,
      batchSize: env.OUTBOX_RELAY_BATCH_SIZE,
      relayConcurrency: env.OUTBOX_RELAY_CONCURRENCY,
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
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
    lifecycle: { startupTimeoutMs: env.STARTUP_TIMEOUT_MS, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    faults: { crashAfterCommit: env.HERALD_FAULT_CRASH_AFTER_COMMIT, skipDispatch: env.HERALD_FAULT_SKIP_DISPATCH },
  };
}
