import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DataSource, getMetadataArgsStorage } from 'typeorm';
import { dataSourceOptions, runMigrations, type TableMigrations } from '@herald/database';
import { isServiceUnavailable } from '@herald/observability';
import { CliContext } from '../cli-context.js';
import { CliError, DependencyUnavailableError, reasonOf, UsageError } from '../cli-errors.js';
import { libOf, migrationSource, ownerOf, parseMigrationName } from '../migration-file.js';
// Loads the platform's and every context's module, and so their entities (see entities() below).
import { MIGRATIONS, TABLE_OWNERS } from '../table-owners.js';

const FOLDERS = TABLE_OWNERS.map((owner) => owner.folder).join(', ');

/**
 * Every entity class of the contexts and the platform: TypeORM records each
 * `@Entity` as its module loads, and the CLI loads them all (table-owners.ts). The
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
      const ran = await runMigrations(config, MIGRATIONS).catch((error: unknown) => {
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
      'write a migration with what the entities need that the database (DATABASE_URL, migrated) lacks, ' +
        `into the migrations folder of the lib that owns the changed tables (${FOLDERS}); writes nothing when they match`,
    )
    .argument('[name]', 'PascalCase name, e.g. AddUserLocale', parseMigrationName)
    .option('--in <lib>', `the lib that owns the changed tables: ${TABLE_OWNERS.map(libOf).join(', ')}`, (lib: string) =>
      ownerOf(TABLE_OWNERS, lib),
    )
    .option('--check', 'write nothing; exit 1 when a migration is missing (for CI)')
    .action(async (name: string | undefined, options: { in?: TableMigrations; check?: boolean }) => {
      // Where to write, settled before connecting; nothing for --check.
      const target = options.check ? undefined : generationTarget(name, options.in);
      const { config } = CliContext.fromEnvironment();
      const dataSource = new DataSource({
        ...dataSourceOptions(config, { applicationName: 'herald-cli' }),
        migrations: MIGRATIONS,
        entities: entities(),
      });
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
        if (!target) throw new CliError(`a migration is missing: the entities need ${upQueries.length} schema change(s)`);
        const migration = migrationSource(target.name, Date.now(), upQueries, downQueries);
        const path = join(target.folder, migration.fileName);
        writeFileSync(path, migration.source, { flag: 'wx' });
        process.stdout.write(
          `Wrote ${path} (${upQueries.length} statement(s)).\n` +
            `Review it, add ${migration.className} to ${target.folder}/index.ts, then run \`npm run migration:run\`.\n`,
        );
      } finally {
        await dataSource.destroy();
      }
    });
}

/** The migration to write: its name and its owner's folder, both required. */
function generationTarget(name: string | undefined, owner: TableMigrations | undefined): { name: string; folder: string } {
  if (!name || !owner) {
    throw new UsageError(
      'migration:generate needs a name and the lib that owns the changed tables (e.g. AddUserLocale --in users), or --check',
    );
  }
  return { name, folder: owner.folder };
}
