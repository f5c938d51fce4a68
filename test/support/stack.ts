import { EmailQueue, SendWelcomeEmail } from '@herald/notifications';
import { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { createApiClient, type ApiClient } from './api-client/index.js';
import { AppProcess, DevLoopProcess, LauncherProcess, type AppName } from './app-process.js';
import { checkedFetch } from './contract/index.js';
import { TEST_REDIS_URL } from './env.js';
import { freePort } from './ports.js';
import { SmtpSink } from './smtp-sink.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { deleteKeysWithPrefix, redisClient, uniqueQueuePrefix } from './test-redis.js';

/**
 * A whole herald deployment for one test file: its own database, queue
 * prefix and SMTP sink, and the built API and worker as real processes.
 */
export class Stack {
  readonly smtp = new SmtpSink();
  readonly prefix = uniqueQueuePrefix();
  db!: TestDatabase;
  apiPort = 0;
  workerPort = 0;
  private readonly processes: (AppProcess | LauncherProcess)[] = [];
  private apiClient?: ApiClient;
  private readonly queues: Queue[] = [];

  async start(): Promise<this> {
    await this.smtp.start();
    this.db = await createTestDatabase();
    this.apiPort = await freePort();
    this.workerPort = await freePort();
    return this;
  }

  /** Environment shared by every process of the stack. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: this.prefix,
      SMTP_URL: this.smtp.url,
      PORT: String(this.apiPort),
      WORKER_PORT: String(this.workerPort),
      APP_BASE_URL: 'http://herald.test',
      JWT_SECRET: 'e2e-secret-that-is-long-enough-1234567890',
      OUTBOX_GRACE_MS: '1000',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      ...overrides,
    };
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** The typed client of the JSON API (openapi.json) on this stack's API port; answers are checked against the document. */
  get client(): ApiClient {
    this.apiClient ??= createApiClient(this.apiUrl);
    return this.apiClient;
  }

  /** An API process (stopped by stop()); a `PORT` override starts a further instance on that port. */
  api(overrides: Record<string, string> = {}): AppProcess {
    const port = overrides.PORT ?? String(this.apiPort);
    return this.track(new AppProcess('api', this.env(overrides), `http://127.0.0.1:${port}/health/ready`));
  }

  /** An API process with a fault injected by test/support/faulty-api.mjs (the app itself has no fault hooks). */
  faultyApi(fault: 'crash-after-commit' | 'skip-dispatch', overrides: Record<string, string> = {}): AppProcess {
    const port = overrides.PORT ?? String(this.apiPort);
    const env = this.env({ ...overrides, HERALD_TEST_FAULT: fault });
    return this.track(new AppProcess('api', env, `http://127.0.0.1:${port}/health/ready`, 'test/support/faulty-api.mjs'));
  }

  /** A worker process (stopped by stop()); a `WORKER_PORT` override starts a further instance on that port. */
  worker(overrides: Record<string, string> = {}): AppProcess {
    const port = overrides.WORKER_PORT ?? String(this.workerPort);
    return this.track(new AppProcess('worker', this.env(overrides), `http://127.0.0.1:${port}/health/ready`));
  }

  /** scripts/run-all.mjs running `apps` in its own process group (stopped by stop()); ready when each app's health is. */
  launcher(apps: AppName[], overrides: Record<string, string> = {}): LauncherProcess {
    const health: Partial<Record<AppName, string>> = {
      api: `${this.apiUrl}/health/ready`,
      worker: `http://127.0.0.1:${this.workerPort}/health/ready`,
    };
    return this.track(
      new LauncherProcess(
        apps,
        this.env(overrides),
        apps.flatMap((app) => health[app] ?? []),
      ),
    );
  }

  /** `npm run start:dev` for this stack (stopped by stop()); ready when the API's and the worker's health are. */
  devLoop(overrides: Record<string, string> = {}): DevLoopProcess {
    return this.track(
      new DevLoopProcess(this.env(overrides), [`${this.apiUrl}/health/ready`, `http://127.0.0.1:${this.workerPort}/health/ready`]),
    );
  }

  /** A raw POST, its answer checked against openapi.json (prefer `client()` for the JSON API). */
  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return checkedFetch(`${this.apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return checkedFetch(`${this.apiUrl}${path}`, { headers });
  }

  /** A BullMQ handle on this stack's email queue, for assertions (closed by stop()). */
  emailQueue(): Queue {
    const queue = new Queue(EmailQueue.name, { connection: { url: TEST_REDIS_URL }, prefix: this.prefix });
    this.queues.push(queue);
    return queue;
  }

  /**
   * `count` users, each with a welcome-email job in this stack's queue (job id `test.<eventId>`), written
   * straight to the database (this stack's, or another through `query`) and to Redis: work for a worker.
   */
  async seedWelcomeJobs(
    count: number,
    emailPrefix: string,
    query: (sql: string, params: unknown[]) => Promise<unknown> = (sql, params) => this.db.query(sql, params),
  ): Promise<{ id: string; eventId: string; email: string }[]> {
    const users = Array.from({ length: count }, (_, i) => ({ id: uuidv7(), eventId: uuidv7(), email: `${emailPrefix}-${i}@example.com` }));
    for (let i = 0; i < users.length; i += 100) {
      const batch = users.slice(i, i + 100);
      await query(`INSERT INTO users (id, email, password_hash) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])`, [
        batch.map((u) => u.id),
        batch.map((u) => u.email),
        batch.map(() => 'x'),
      ]);
    }
    await this.emailQueue().addBulk(
      users.map((user) => ({
        name: SendWelcomeEmail.name,
        data: { eventId: user.eventId, userId: user.id, correlationId: `seed-${emailPrefix}` },
        opts: { jobId: `test.${user.eventId}` },
      })),
    );
    return users;
  }

  /** Stops every process still running (between tests too: one that failed before stopping its apps leaves none to the next). */
  async stopProcesses(): Promise<void> {
    await Promise.all(this.processes.filter((p) => !p.exited).map((p) => p.stop()));
  }

  /** Stops every process still running, then removes the database and the Redis keys. */
  async stop(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
    await this.stopProcesses();
    await this.db?.drop();
    const redis = redisClient();
    try {
      await deleteKeysWithPrefix(redis, this.prefix);
    } finally {
      redis.disconnect();
    }
    await this.smtp.stop();
  }

  private track<P extends AppProcess | LauncherProcess>(process: P): P {
    this.processes.push(process);
    return process;
  }
}
