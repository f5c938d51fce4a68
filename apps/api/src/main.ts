import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@herald/config';
import { installGracefulShutdown } from '@herald/observability';
import { apiLogger, createApiApp } from './bootstrap.js';
import { HttpDrain } from './http/http-drain.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const drain = new HttpDrain();
  const app = await createApiApp(config, drain);
  await app.listen(config.http.port, '0.0.0.0');
  installGracefulShutdown({
    logger: apiLogger(config),
    timeoutMs: config.lifecycle.shutdownTimeoutMs,
    close: async () => {
      // 1. Refuse new requests (503); admitted ones finish (and start their post-commit dispatch); stop listening.
      await drain.drain(app.getHttpServer());
      // 2. Drain the post-commit dispatches, then close the pools (Nest's shutdown hooks).
      await app.close();
    },
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`herald-api: ${error.message}\n`);
  } else {
    process.stderr.write(`herald-api: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
