import { DataSource } from 'typeorm';
import type { HeraldConfig } from '@herald/config';
import { dataSourceOptions } from './data-source-options.js';
import type { MigrationClass } from './table-migrations.js';

/** Applies the pending ones of `migrations` (migrationsOf the owners); returns the names of those it ran. */
export async function runMigrations(config: Pick<HeraldConfig, 'database'>, migrations: readonly MigrationClass[]): Promise<string[]> {
  const dataSource = new DataSource({
    ...dataSourceOptions(config, { applicationName: 'herald-migrations' }),
    migrations: [...migrations],
  });
  await dataSource.initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
