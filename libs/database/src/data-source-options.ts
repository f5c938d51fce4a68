import type { DataSourceOptions } from 'typeorm';
import type { HeraldConfig } from '@herald/config';
import { migrations } from './migrations/index.js';

/**
 * Connection settings shared by the apps, the CLI and the tests. The schema
 * comes from migrations only: `synchronize` is never on.
 */
export function dataSourceOptions(config: Pick<HeraldConfig, 'database'>, extra: { applicationName?: string } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: extra.applicationName ?? 'herald',
    extra: {
      max: config.database.poolSize,
      // Fail fast instead of hanging when Postgres is away; callers turn this into 503.
      connectionTimeoutMillis: 5000,
    },
  };
}
