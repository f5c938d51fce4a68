import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@herald/config';
import { postgresDependency } from '@herald/database';
import { redisDependency } from '@herald/jobs';
import { DependencyUnavailableError, waitForDependencies } from '@herald/observability';
import { apiLogger, createApiApp, serveApi } from './bootstrap.js';
import { HttpDrain } from './http/http-drain.js';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before Nest: TypeORM and ioredis would otherwise fail with their own retries and stack traces.
  const logger = apiLogger(config);
  for (const { variable, message } of config.warnings) logger.warn({ variable }, message);
  await waitForDependencies([postgresDependency(config), redisDependency(config)], config.lifecycle.startupTimeoutMs, (message) =>
    logger.warn(message),
  );
  const drain = new HttpDrain();
  await serveApi(await createApiApp(config, drain), config, drain);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError || error instanceof DependencyUnavailableError) {
    process.stderr.write(`herald-api: ${error.message}\n`);
  } else {
    process.stderr.write(`herald-api: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
