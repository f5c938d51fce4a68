import { SendVerificationEmail } from '@herald/notifications';
import { createApiClient, type ApiClient } from '../support/api-client/index.js';
import { AppProcess } from '../support/app-process.js';
import { freePort } from '../support/ports.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const REGISTRATIONS = 2000;
const CONCURRENCY = 16;
const PASSWORD = 'a long and lovely passphrase';

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

/**
 * Scale-out over one Postgres and one Redis: 2 APIs and 3 workers. API #2
 * leaves every event to the relays (a test-only hook), so three relays
 * compete for the same outbox rows while API #1 dispatches after commit.
 */
describe('Two APIs and three workers at once', () => {
  const stack = new Stack();
  const apis: { process: AppProcess; url: string; client: ApiClient }[] = [];
  const workers: AppProcess[] = [];

  beforeAll(async () => {
    await stack.start();
    const shared = { WORKER_CONCURRENCY: '10', DATABASE_POOL_SIZE: '15', OUTBOX_RELAY_INTERVAL_MS: '200', OUTBOX_GRACE_MS: '5000' };
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      workers.push(await stack.worker({ ...shared, WORKER_PORT: String(port) }).startAndWaitReady());
    }
    for (const skipDispatch of [false, true]) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = { ...shared, PORT: String(port) };
      const api = skipDispatch ? stack.faultyApi('skip-dispatch', env) : stack.api(env);
      apis.push({ process: await api.startAndWaitReady(), url, client: createApiClient(url) });
    }
  });

  afterAll(async () => {
    await stack.stop(); // stops every API and worker it started
  });

  it(`delivers ${REGISTRATIONS} registrations through both APIs, each email once, while a worker stops`, async () => {
    const emails = Array.from({ length: REGISTRATIONS }, (_, i) => `scale-${i}@example.com`);
    const started = Date.now();
    let stoppedWorker: Promise<{ code: number | null }> | undefined;
    await pool(emails, CONCURRENCY, async (email, index) => {
      const api = apis[index % 2]!;
      // Distinct client addresses (X-Forwarded-For from the loopback proxy) keep the per-IP limit out of the way.
      const { response } = await api.client.POST('/users', {
        body: { email, password: PASSWORD },
        headers: { 'x-forwarded-for': `198.51.100.${index % 250}` },
      });
      expect(response.status).toBe(202);
      if (index === REGISTRATIONS / 2) stoppedWorker = workers[2]!.stop();
    });
    const registered = Date.now();
    expect(await stoppedWorker).toEqual({ code: 0, signal: null });

    await waitFor(
      `${REGISTRATIONS} verification emails`,
      () => new Set(stack.smtp.messages.filter((m) => m.kind === SendVerificationEmail.name).map((m) => m.to)).size === REGISTRATIONS,
      180_000,
      250,
    );
    const delivered = Date.now();
    await waitFor(
      'every outbox row to be dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status <> 'dispatched'`)).length === 0,
    );

    // Each email exactly once, one job per event, one inbox record per event.
    const perAddress = stack.smtp.countsByRecipient();
    expect([...perAddress.values()].every((count) => count === 1)).toBe(true);
    expect(perAddress.size).toBe(REGISTRATIONS);
    expect(await stack.db.query(`SELECT count(*)::int AS n FROM inbox`)).toEqual([{ n: REGISTRATIONS }]);
    const queue = stack.emailQueue();
    try {
      expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).toEqual({
        completed: REGISTRATIONS,
        failed: 0,
        waiting: 0,
        active: 0,
        delayed: 0,
      });
    } finally {
      await queue.close();
    }

    // The relays together delivered exactly API #2's events: none twice, none missed.
    const redelivered = workers
      .flatMap((worker) => worker.logs())
      .filter((line) => line.msg === 'outbox relay redelivered events')
      .reduce((sum, line) => sum + Number(line.count), 0);
    expect(redelivered).toBe(REGISTRATIONS / 2);
    expect(workers.filter((worker) => worker.logs().some((line) => line.msg === 'outbox relay redelivered events')).length).toBeGreaterThan(
      1,
    );

    process.stdout.write(
      `scale-out: ${REGISTRATIONS} registrations via 2 APIs in ${((registered - started) / 1000).toFixed(1)} s, ` +
        `all emails once ${((delivered - registered) / 1000).toFixed(1)} s later; relays redelivered ${redelivered}\n`,
    );
  }, 400_000);

  it('holds rate limits across both APIs (counters in Redis)', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) {
      const api = apis[attempt % 2]!;
      const { response } = await api.client.POST('/auth/login', {
        body: { email: 'target@example.com', password: 'guessing password' },
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });
});
