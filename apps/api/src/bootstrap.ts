import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { HeraldConfig } from '@herald/config';
import { createLogger, installGracefulShutdown, Metrics, PinoNestLogger } from '@herald/observability';
import type { Logger } from 'pino';
import { adminAuthFailures, mountBullBoard } from './admin/index.js';
import { AppModule } from './app.module.js';
import { correlationMiddleware } from './http/correlation.middleware.js';
import { HttpDrain } from './http/http-drain.js';
import { RateLimiterStore } from './http/rate-limiter-store.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { createValidationPipe } from './http/validation.js';
import { createOpenApiDocument } from './openapi/index.js';

/**
 * helmet's options for every answer. Inline scripts/styles are allowed for our own pages (OpenAPI UI, Bull
 * Board, /verify-email); the outbox console sets a stricter policy of its own.
 */
export const SECURITY_HEADERS = {
  contentSecurityPolicy: {
    directives: {
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'", 'https:'],
      imgSrc: ["'self'", 'data:'],
    },
  },
} satisfies Parameters<typeof helmet>[0];

/**
 * HTTP wiring shared by main.ts and the tests: correlation ids, body limit, validation, errors, OpenAPI,
 * and the gate that refuses new requests once a graceful stop has begun (`drain`).
 */
export function configureApiApp(
  app: NestExpressApplication,
  config: HeraldConfig,
  logger: Logger,
  drain = new HttpDrain(),
): NestExpressApplication {
  app.disable('x-powered-by');
  // Whose X-Forwarded-For to believe for req.ip, the client address the rate limits count: TRUST_PROXY (default loopback).
  app.set('trust proxy', config.http.trustProxy);
  app.use(correlationMiddleware(logger));
  app.use(helmet(SECURITY_HEADERS));
  app.enableCors({ origin: config.http.corsOrigins.length > 0 ? config.http.corsOrigins : false, credentials: false });
  app.use(httpMetricsMiddleware(app.get(Metrics)));
  // After correlation and metrics (a refusal is logged and counted), before any work.
  app.use(drain.middleware());
  const metrics = app.get(Metrics);
  // Exported from the start (0 until a failure), so the alert on it reads a series whether or not /admin is mounted.
  adminAuthFailures(metrics);
  // Bull Board's router is Express's, mounted here; the outbox console is a controller behind AdminAccessGuard.
  mountBullBoard(app, config, logger, { store: app.get(RateLimiterStore), metrics, logger });
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  app.useGlobalPipes(createValidationPipe());
  // Global as well as APP_FILTER, so errors raised before routing (body parser) are problem+json too.
  app.useGlobalFilters(new ProblemDetailsFilter());

  SwaggerModule.setup('docs', app, () => createOpenApiDocument(app));
  return app;
}

export function apiLogger(config: HeraldConfig): Logger {
  return createLogger({ name: 'herald-api', level: config.logLevel, format: config.logFormat, production: config.env === 'production' });
}

/** Builds the API application (not yet listening). */
export async function createApiApp(config: HeraldConfig, drain?: HttpDrain): Promise<NestExpressApplication> {
  const logger = apiLogger(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  return configureApiApp(app, config, logger, drain);
}

/**
 * Serves a built API application: listens, and on SIGTERM/SIGINT refuses new
 * requests (503), lets the admitted ones finish, stops listening, drains the
 * post-commit dispatches and closes the pools.
 */
export async function serveApi(app: NestExpressApplication, config: HeraldConfig, drain: HttpDrain): Promise<void> {
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
