import type { Command } from 'commander';
import { runMigrations } from '@herald/database';
import { isServiceUnavailable } from '@herald/observability';
import { CliContext } from '../cli-context.js';
import { DependencyUnavailableError, reasonOf } from '../cli-errors.js';

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
}
