import { withoutPasswords } from '@herald/observability';

// One implementation for the apps' start-up check and the CLI.
export { reasonOf } from '@herald/observability';

/** A failure the operator can act on: printed as one line, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad or conflicting arguments: exit code 2, like commander's own usage errors. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** `host:port` of a service URL; never its user or password. */
export function endpointOf(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || defaultPort}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** Redis or Postgres did not answer, or went away during the command. */
export class DependencyUnavailableError extends CliError {
  constructor(service: 'Redis' | 'Postgres', variable: string, url: string, reason: string) {
    const defaultPort = service === 'Redis' ? 6379 : 5432;
    super(
      `cannot connect to ${service} at ${endpointOf(url, defaultPort)} (${variable}): ${withoutPasswords(reason, [url]) || 'no answer'}`,
    );
    this.name = 'DependencyUnavailableError';
  }
}
