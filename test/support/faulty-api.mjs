// The built API with a fault injected, for the fault tests only: the apps carry no fault hooks.
// It replaces the post-commit dispatch the way a test module overrides a provider, then serves
// the API exactly as apps/api/src/main.ts and serve.ts do (tracing first, when OTEL_* asks for it).
//   HERALD_TEST_FAULT=crash-after-commit  the process dies (SIGKILL) right after a commit, before its
//                                         events are dispatched, as a crash or an OOM kill would
//   HERALD_TEST_FAULT=skip-dispatch       committed events are not dispatched: the relay must deliver them
import 'reflect-metadata';

const FAULTS = ['crash-after-commit', 'skip-dispatch'];
const fault = process.env.HERALD_TEST_FAULT;
if (!FAULTS.includes(fault)) {
  process.stderr.write(`faulty-api: HERALD_TEST_FAULT must be one of ${FAULTS.join(', ')}\n`);
  process.exit(2);
}

const built = (path) => import(new URL(`../../dist/apps/api/${path}`, import.meta.url).href);
const { startTracing } = await built('libs/observability/src/index.js');
await startTracing('herald-api');
const { Test } = await import('@nestjs/testing');
const { AppModule } = await built('apps/api/src/app.module.js');
const { apiLogger, configureApiApp, serveApi } = await built('apps/api/src/bootstrap.js');
const { HttpDrain } = await built('apps/api/src/http/http-drain.js');
const { loadConfig } = await built('libs/config/src/index.js');
const { PostCommitDispatch } = await built('libs/events/src/index.js');
const { PinoNestLogger } = await built('libs/observability/src/index.js');

class FaultyPostCommitDispatch extends PostCommitDispatch {
  afterCommit(events) {
    if (events.length === 0) return;
    if (fault === 'crash-after-commit') process.kill(process.pid, 'SIGKILL');
    // skip-dispatch: the rows stay pending; the relay delivers them after the grace period.
  }
}

const config = loadConfig();
const logger = apiLogger(config);
const module = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
  .overrideProvider(PostCommitDispatch)
  .useClass(FaultyPostCommitDispatch)
  .compile();
const app = module.createNestApplication({ logger: new PinoNestLogger(logger), bodyParser: false, abortOnError: false });
const drain = new HttpDrain();
configureApiApp(app, config, logger, drain);
await serveApi(app, config, drain);
logger.warn({ fault }, 'serving with a test fault injected');
