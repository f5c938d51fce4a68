import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError, loadConfig, workerPoolSize } from '@herald/config';
import { postgresDependency } from '@herald/database';
import { redisDependency } from '@herald/jobs';
import {
  createLogger,
  DependencyUnavailableError,
  installGracefulShutdown,
  PinoNestLogger,
  waitForDependencies,
} from '@herald/observability';
import { startHealthServer } from './health-server.js';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  const config = loadConfig();
  workerPoolSize(config); // refuses, naming the variables, a pool too small for the jobs and relay loops
  const logger = createLogger({
    name: 'herald-worker',
    level: config.logLevel,
    format: config.logFormat,
    production: config.env === 'production',
  });
  for (const { variable, message } of config.warnings) logger.warn({ variable }, message);
  await waitForDependencies([postgresDependency(config), redisDependency(config)], config.lifecycle.startupTimeoutMs, (message) =>
    logger.warn(message),
  );

  // No HTTP framework for processing: an application context only.
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const healthServer = await startHealthServer(app, config.worker.port);
  logger.info({ port: config.worker.port }, 'worker ready');

  // Stop taking jobs, let active ones finish, stop the relay, close pools.
  installGracefulShutdown({
    logger,
    timeoutMs: config.lifecycle.shutdownTimeoutMs,
    close: async () => {
      healthServer.close();
      await app.close();
    },
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError || error instanceof DependencyUnavailableError) {
    process.stderr.write(`herald-worker: ${error.message}\n`);
  } else {
    process.stderr.write(`herald-worker: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
