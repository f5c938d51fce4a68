import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@herald/config';
import { createApiApp, serveApi } from './bootstrap.js';
import { HttpDrain } from './http/http-drain.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const drain = new HttpDrain();
  await serveApi(await createApiApp(config, drain), config, drain);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`herald-api: ${error.message}\n`);
  } else {
    process.stderr.write(`herald-api: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
