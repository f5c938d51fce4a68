import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { CliError, reasonOf } from './cli-errors.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerMigrationCommands } from './commands/migration.js';
import { registerOutboxCommands } from './commands/outbox.js';
import { registerQueueCommands } from './commands/queues.js';
import { registerReplayCommand } from './commands/replay.js';

const NAME = 'herald-cli';

const ENVIRONMENT_HELP = `
Run as: npm run ops -- <command> [options]
Reads DATABASE_URL, REDIS_URL and QUEUE_PREFIX like the apps do.
Exit codes: 0 done, 1 failed (service unreachable, unknown job or row), 2 bad arguments.`;

function buildProgram(): Command {
  const program = new Command(NAME)
    .description('herald operations: queues, jobs and the outbox')
    .addHelpText('after', ENVIRONMENT_HELP)
    // Settings below are inherited by every command added afterwards.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`${NAME}: ${message.replace(/^error: /, '')}`) })
    .showSuggestionAfterError()
    .helpCommand(false);
  registerQueueCommands(program);
  registerJobCommands(program);
  registerOutboxCommands(program);
  registerReplayCommand(program);
  registerMigrationCommands(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    // Commander has already printed its message (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`${NAME}: ${reasonOf(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  // Exit once the output is flushed: a timer a driver leaves behind (an abandoned connect) must not hold the shell.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
