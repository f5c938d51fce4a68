import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DataSource, getMetadataArgsStorage } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@herald/database';
import { isServiceUnavailable } from '@herald/observability';
import { CliContext } from '../cli-context.js';
import { CliError, DependencyUnavailableError, reasonOf, UsageError } from '../cli-errors.js';
// Loads every context's module, and so its entities (see entities() below).
import '../contexts.js';
import { migrationSource, parseMigrationName } from '../migration-file.js';

/** Where migrations live, from the repository root (npm scripts run there). */
const MIGRATIONS_DIR = 'libs/database/src/migrations';

/**
 * Every entity class of the contexts and the platform: TypeORM records each
 * `@Entity` as its module loads, and the CLI loads them all (contexts.ts). The
 * apps find the same set through TypeOrmModule.forFeature; no list to keep.
 */
function entities(): EntityClass[] {
  return getMetadataArgsStorage().tables.flatMap((table) => (typeof table.target === 'string' ? [] : [table.target]));
}
type EntityClass = Exclude<ReturnType<typeof getMetadataArgsStorage>['tables'][number]['target'], string>;

export function registerMigrationCommands(program: Command): void {
  program
    .command('migration:run')
    .description('apply pending database migrations (DATABASE_URL)')
    .action(async () => {
      const { config } = CliContext.fromEnvironment();
      const ran = await runMigrations(config).catch((error: unknown) => {
        // A failing migration is not an outage: only connection errors are reported as one.
        if (isServiceUnavailable(error)) {
          throw new DependencyUnavailableError('Postgres', 'DATABASE_URL', config.database.url, reasonOf(error));
        }
        throw error;
      });
      process.stdout.write(
        ran.length ? `Applied migrations:\n${ran.map((name) => `  ${name}`).join('\n')}\n` : 'Database schema is up to date.\n',
      );
    });

  program
    .command('migration:generate')
    .description(
      `write a migration to ${MIGRATIONS_DIR} with what the entities need that the database (DATABASE_URL, migrated) lacks; ` +
        'writes nothing when they match',
    )
    .argument('[name]', 'PascalCase name, e.g. AddUserLocale', parseMigrationName)
    .option('--check', 'write nothing; exit 1 when a migration is missing (for CI)')
    .action(async (name: string | undefined, options: { check?: boolean }) => {
      if (!name && !options.check) throw new UsageError('migration:generate needs a name (e.g. AddUserLocale), or --check');
      const { config } = CliContext.fromEnvironment();
      const dataSource = new DataSource({ ...dataSourceOptions(config, { applicationName: 'herald-cli' }), entities: entities() });
      try {
        await dataSource.initialize();
      } catch (error) {
        await dataSource.destroy().catch(() => undefined);
        throw new DependencyUnavailableError('Postgres', 'DATABASE_URL', config.database.url, reasonOf(error));
      }
      try {
        // Compared with the database, not with the migrations: it must have every migration applied.
        if (await dataSource.showMigrations()) throw new CliError('pending migrations: run `npm run migration:run` first');
        const { upQueries, downQueries } = await dataSource.driver.createSchemaBuilder().log();
        if (upQueries.length === 0) {
          process.stdout.write('No changes: the database schema matches the entities.\n');
          return;
        }
        if (options.check) throw new CliError(`a migration is missing: the entities need ${upQueries.length} schema change(s)`);
        const migration = migrationSource(name!, Date.now(), upQueries, downQueries);
        const path = join(MIGRATIONS_DIR, migration.fileName);
        writeFileSync(path, migration.source, { flag: 'wx' });
        process.stdout.write(
          `Wrote ${path} (${upQueries.length} statement(s)).\n` +
            `Review it, add ${migration.className} to ${MIGRATIONS_DIR}/index.ts, then run \`npm run migration:run\`.\n`,
        );
      } finally {
        await dataSource.destroy();
      }
    });
}
