import type { DataSourceOptions } from 'typeorm';
import type { HeraldConfig } from '@herald/config';

export interface ConnectionOptions {
  applicationName?: string;
  /** Connections in the pool (default: DATABASE_POOL_SIZE or 10). */
  poolSize?: number;
  /**
   * The session limits of the API's and the worker's connections
   * (DATABASE_LOCK_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS,
   * DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS). Off for migrations and the CLI,
   * whose statements may rightly run long.
   */
  sessionLimits?: boolean;
}

/**
 * Connection settings shared by the apps, the CLI and the tests. The schema
 * comes from migrations only: `synchronize` is never on. The migrations
 * themselves are each owner's (migrationsOf): only what runs or checks them
 * (the CLI, the schema test) adds them.
 */
export function dataSourceOptions(config: Pick<HeraldConfig, 'database'>, options: ConnectionOptions = {}): DataSourceOptions {
  const { database } = config;
  return {
    type: 'postgres',
    url: database.url,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName ?? 'herald',
    extra: {
      max: options.poolSize ?? database.poolSize,
      // Fail fast instead of hanging when Postgres is away; callers turn this into 503.
      connectionTimeoutMillis: 5000,
      // Sent with the connection's start-up message: no extra round trip per transaction.
      ...(options.sessionLimits
        ? {
            lock_timeout: database.lockTimeoutMs,
            statement_timeout: database.statementTimeoutMs,
            idle_in_transaction_session_timeout: database.idleInTransactionTimeoutMs,
          }
        : {}),
    },
  };
}
