import { EmailQueue } from '@herald/notifications';
import { AccountRequestJobs, AccountsQueue, ResolveAccountRequest } from '@herald/users';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { Provider } from '@nestjs/common';
import type { HeraldConfig } from '@herald/config';
import { PostCommitDispatch } from '@herald/events';
import { JobProducer, parseJobData } from '@herald/jobs';
import { Correlation, PinoNestLogger } from '@herald/observability';
import type { Queue } from 'bullmq';
import { AppModule } from '../../apps/api/src/app.module.js';
import { apiLogger, configureApiApp } from '../../apps/api/src/bootstrap.js';
import { checkedFetch } from './contract/index.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { testConfig } from './test-config.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from './test-redis.js';
import { withRedis } from './pipeline-harness.js';

export interface ApiHarness {
  readonly app: NestExpressApplication;
  readonly baseUrl: string;
  readonly config: HeraldConfig;
  readonly db: TestDatabase;
  readonly emailQueue: Queue;
  /** The users context's queue of account requests (register, resend, reset) waiting for the worker. */
  readonly accountsQueue: Queue;
  /** Every answer of post/get is checked against openapi.json (test/support/contract). */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Waits until every post-commit dispatch started so far has settled. */
  dispatched(): Promise<void>;
  /**
   * Waits until every post-commit dispatch started so far has settled, and
   * resolves the account requests they queued as the worker would (the API
   * in process has no worker): the users context's own job handler runs on
   * each waiting job's data, and the events it raises are dispatched too.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** A provider of the API replaced by a value for one test (e.g. small rate limits). */
export interface ProviderOverride {
  readonly provide: string | symbol | (abstract new (...args: never[]) => unknown);
  readonly useValue: unknown;
}

/** The real API module, in process, listening on a free port, with its own database and queue prefix. */
export async function createApiHarness(
  options: { env?: Record<string, string>; providers?: Provider[]; overrides?: ProviderOverride[] } = {},
): Promise<ApiHarness> {
  const db = await createTestDatabase();
  const prefix = uniqueQueuePrefix();
  const config = testConfig(db.url, prefix, options.env);
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(config)], providers: options.providers ?? [] });
  for (const { provide, useValue } of options.overrides ?? []) builder.overrideProvider(provide).useValue(useValue);
  const module = await builder.compile();
  const logger = apiLogger(config);
  const app = module.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: new PinoNestLogger(logger) });
  configureApiApp(app, config, logger);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const postCommit = app.get(PostCommitDispatch);
  const accountsQueue = app.get(JobProducer).queue(AccountsQueue.name);
  const accountRequestJobs = app.get(AccountRequestJobs);
  const settled = async () => {
    await postCommit.drain();
    for (let jobs = await accountsQueue.getWaiting(); jobs.length > 0; jobs = await accountsQueue.getWaiting()) {
      for (const job of jobs) {
        const data = parseJobData(ResolveAccountRequest, job.data);
        await Correlation.run({ correlationId: data.correlationId, causationId: data.eventId }, () => accountRequestJobs.resolve(data));
        await job.remove();
      }
      await postCommit.drain();
    }
  };
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    checkedFetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return {
    app,
    baseUrl,
    config,
    db,
    emailQueue: app.get(JobProducer).queue(EmailQueue.name),
    accountsQueue,
    post: (path, body, headers) => request('POST', path, body, headers),
    get: (path, headers) => request('GET', path, undefined, headers),
    dispatched: () => postCommit.drain(),
    settled,
    async close() {
      await app.close();
      await db.drop();
      await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    },
  };
}
