import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError, loadConfig } from '@herald/config';
import { createLogger, PinoNestLogger } from '@herald/observability';
import { DependencyUnavailableError, waitForDependencies } from './dependencies.js';
import { startHealthServer } from './health-server.js';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'herald-worker', level: config.logLevel });
  await waitForDependencies(config, (message) => logger.warn(message));

  // No HTTP framework for processing: an application context only.
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const healthServer = await startHealthServer(app, config.worker.port);
  logger.info({ port: config.worker.port }, 'worker ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing active jobs');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.lifecycle.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.lifecycle.shutdownTimeoutMs);
    timer.unref();
    healthServer.close();
    await app.close();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError || error instanceof DependencyUnavailableError) {
    process.stderr.write(`herald-worker: ${error.message}\n`);
  } else {
    process.stderr.write(`herald-worker: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
