import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@herald/config';
import { runMigrations } from '@herald/database';

const USAGE = `Usage: herald-cli <command>

Commands:
  migration:run   apply pending database migrations (DATABASE_URL)
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'migration:run') {
    const config = loadConfig();
    const ran = await runMigrations(config);
    process.stdout.write(
      ran.length ? `Applied migrations:\n${ran.map((name) => `  ${name}`).join('\n')}\n` : 'Database schema is up to date.\n',
    );
    return 0;
  }
  process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigValidationError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`herald-cli: ${message}\n`);
    process.exit(1);
  },
);
