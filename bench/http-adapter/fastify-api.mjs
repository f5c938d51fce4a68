// The API on Nest's Fastify adapter, for the HTTP-stack A/B (issue 12 §2): same AppModule, the same
// correlation ids and request log (the same pino-http instance), validation pipe, problem+json filter,
// security headers (@fastify/helmet, same policy), CORS, HTTP metrics, body limit, trust proxy, drain
// gate and OpenAPI document as the Express API (apps/api/src/bootstrap.ts), wired the Fastify way.
// Bench tooling only: it runs the built app (dist/) and is started in place of the API's main.js when
// BENCH_HTTP_ADAPTER=fastify. Not wired: the outbox console (an Express handler); Bull Board is mounted
// with @bull-board/fastify when ADMIN_USER/ADMIN_PASSWORD are set (the benchmarks set neither).
import 'reflect-metadata';
import { AsyncResource } from 'node:async_hooks';
import fastifyHelmet from '@fastify/helmet';
import { Catch } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

const dist = new URL('../../dist/apps/api/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const { loadConfig } = await load('libs/config/src/index.js');
const { Correlation, LATENCY_BUCKETS, Metrics, PinoNestLogger, installGracefulShutdown, startTracing } =
  await load('libs/observability/src/index.js');
await startTracing('herald-api');
const { JobProducer, JobRegistryExplorer } = await load('libs/jobs/src/index.js');
const { AppModule } = await load('apps/api/src/app.module.js');
const { apiLogger, SECURITY_HEADERS } = await load('apps/api/src/bootstrap.js');
const { correlationMiddleware } = await load('apps/api/src/http/correlation.middleware.js');
const { HttpDrain } = await load('apps/api/src/http/http-drain.js');
const { ProblemDetailsFilter, problem } = await load('apps/api/src/http/problem-details.filter.js');
const { createValidationPipe } = await load('apps/api/src/http/validation.js');
const { BULL_BOARD_PATH, OUTBOX_CONSOLE_PATH } = await load('apps/api/src/admin/admin-access.js');
const { boardQueues } = await load('apps/api/src/admin/bull-board.js');

/** '100kb' → bytes (the units BODY_LIMIT takes, as body-parser reads them). */
function bytes(limit) {
  if (typeof limit === 'number') return limit;
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(String(limit).trim());
  if (!match) throw new Error(`fastify-api: cannot read BODY_LIMIT ${limit}`);
  return Math.floor(Number(match[1]) * 1024 ** ['b', 'kb', 'mb', 'gb'].indexOf((match[2] ?? 'b').toLowerCase()));
}

// Fastify's own body errors, named as body-parser names them, so the filter answers them the same way.
const BODY_ERROR_TYPES = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'entity.parse.failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'entity.parse.failed',
  FST_ERR_CTP_BODY_TOO_LARGE: 'entity.too.large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request.size.invalid',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'entity.unsupported',
};

/** The API's ProblemDetailsFilter, given an Express-shaped view of Fastify's request and reply. */
class FastifyProblemDetailsFilter extends ProblemDetailsFilter {
  catch(exception, host) {
    const request = host.switchToHttp().getRequest();
    const reply = host.switchToHttp().getResponse();
    // Nest hands Fastify's body errors over as an HttpException caused by them.
    const bodyError = [exception, exception?.cause].find((error) => BODY_ERROR_TYPES[error?.code]);
    const error = bodyError
      ? Object.assign(new Error(bodyError.message), { status: bodyError.statusCode, type: BODY_ERROR_TYPES[bodyError.code] })
      : exception;
    const response = {
      get headersSent() {
        return reply.sent || reply.raw.headersSent;
      },
      setHeader: (name, value) => reply.header(name, value),
      status(code) {
        reply.status(code);
        return this;
      },
      type(contentType) {
        reply.type(contentType);
        return this;
      },
      json: (body) => reply.send(body),
    };
    const view = { originalUrl: request.originalUrl ?? request.raw?.url ?? request.url };
    super.catch(error, { switchToHttp: () => ({ getRequest: () => view, getResponse: () => response }) });
  }
}
Catch()(FastifyProblemDetailsFilter);

/** The API's drain gate on raw requests: admitted ones are tracked by their Node response. */
class FastifyHttpDrain extends HttpDrain {
  refuse(req, res) {
    const body = problem(503, 'SHUTTING_DOWN', 'This instance is shutting down; send the request again.', {
      instance: (req.originalUrl ?? req.url).split('?')[0],
      correlationId: Correlation.id(),
    });
    res.writeHead(503, { 'Retry-After': '1', Connection: 'close', 'Content-Type': 'application/problem+json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
}

const config = loadConfig();
const logger = apiLogger(config);
const drain = new FastifyHttpDrain();
const module = AppModule.forRoot(config);
module.providers = module.providers.map((provider) =>
  provider.provide === APP_FILTER ? { provide: APP_FILTER, useClass: FastifyProblemDetailsFilter } : provider,
);
const app = await NestFactory.create(
  module,
  new FastifyAdapter({ trustProxy: config.http.trustProxy, bodyLimit: bytes(config.http.bodyLimit) }),
  { logger: new PinoNestLogger(logger), bodyParser: false, abortOnError: false },
);
const fastify = app.getHttpAdapter().getInstance();

// Correlation id and request log: the Express middleware, run on the raw request in the first hook. Fastify
// reads the body outside the scope the hook opened, so the scope is re-entered once the body is read.
const scope = Symbol('correlation scope');
const correlate = correlationMiddleware(logger);
fastify.addHook('onRequest', (request, reply, done) =>
  correlate(request.raw, reply.raw, () => {
    request[scope] = new AsyncResource('herald.request');
    done();
  }),
);
fastify.addHook('preValidation', (request, _reply, done) => request[scope].runInAsyncScope(done));

await app.register(fastifyHelmet, SECURITY_HEADERS);
app.enableCors({ origin: config.http.corsOrigins.length > 0 ? config.http.corsOrigins : false, credentials: false });

// HTTP metrics: the same series as httpMetricsMiddleware, labelled with Fastify's route pattern.
const metrics = app.get(Metrics);
const requests = metrics.counter({ name: 'herald_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'] });
const duration = metrics.histogram({
  name: 'herald_http_request_duration_seconds',
  help: 'HTTP request duration',
  labelNames: ['method', 'route', 'status'],
  buckets: LATENCY_BUCKETS,
});
const started = Symbol('started');
fastify.addHook('onRequest', (request, _reply, done) => {
  request[started] = performance.now();
  done();
});
fastify.addHook('onResponse', (request, reply, done) => {
  const route =
    request.routeOptions.url ?? [BULL_BOARD_PATH, OUTBOX_CONSOLE_PATH].find((mount) => request.url.startsWith(mount)) ?? 'unmatched';
  const labels = { method: request.method, route, status: String(reply.statusCode) };
  requests.inc(labels);
  duration.observe(labels, (performance.now() - request[started]) / 1000);
  done();
});

// After correlation and metrics (a refusal is logged and counted), before any work.
const gate = drain.middleware();
fastify.addHook('onRequest', (request, reply, done) => gate(request.raw, reply.raw, done));

await mountBullBoard();
app.useGlobalPipes(createValidationPipe());
app.useGlobalFilters(new FastifyProblemDetailsFilter());
const openApi = new DocumentBuilder()
  .setTitle('herald')
  .setDescription('User accounts whose domain events are never lost')
  .setVersion('1')
  .addBearerAuth()
  .build();
SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi));

await app.listen(config.http.port, '0.0.0.0');
installGracefulShutdown({
  logger,
  timeoutMs: config.lifecycle.shutdownTimeoutMs,
  close: async () => {
    await drain.drain(app.getHttpServer());
    await app.close();
  },
});

/** Bull Board through @bull-board/fastify, behind the same Basic credentials (checked in a hook of its own scope). */
async function mountBullBoard() {
  const { user, password, readOnly } = config.admin;
  if (!user || !password) return;
  const [{ createBullBoard }, { FastifyAdapter: BullBoardFastifyAdapter }, { basicAuth, refuseWrites }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/fastify'),
    load('apps/api/src/admin/admin-access.js'),
  ]);
  const serverAdapter = new BullBoardFastifyAdapter().setBasePath(BULL_BOARD_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'herald queues', miscLinks: [{ text: 'Outbox console', url: OUTBOX_CONSOLE_PATH }] } },
  });
  const producer = app.get(JobProducer);
  const explorer = app.get(JobRegistryExplorer);
  let queuesShown = false;
  // The Express guards answer through res.status().set().type().json(): give them that much of a response.
  const expressShaped = (reply) => ({
    status(code) {
      reply.status(code);
      return this;
    },
    set(name, value) {
      reply.header(name, value);
      return this;
    },
    type(contentType) {
      reply.type(contentType);
      return this;
    },
    json: (body) => reply.send(body),
  });
  const guards = [basicAuth(user, password, 'Bull Board'), ...(readOnly ? [refuseWrites('Bull Board')] : [])];
  await app.register(
    async (scoped) => {
      scoped.addHook('onRequest', async (request, reply) => {
        for (const guard of guards) {
          let passed = false;
          guard(request.raw, expressShaped(reply), () => (passed = true));
          if (!passed) return reply;
        }
        if (!queuesShown) {
          board.replaceQueues(boardQueues(explorer.registry, producer, readOnly));
          queuesShown = true;
        }
      });
      await scoped.register(serverAdapter.registerPlugin());
    },
    { prefix: BULL_BOARD_PATH },
  );
}
