import { SendVerificationEmail } from '@herald/notifications';
import { freePort } from '../support/ports.js';
import { PrivateRedisCluster } from '../support/redis-cluster.js';
import { Stack } from '../support/stack.js';
import { keysWithPrefix, redisClient } from '../support/test-redis.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = 'a long and lovely passphrase';

/**
 * herald on a real Redis Cluster (3 masters, no replicas): the API and the
 * worker get only REDIS_CLUSTER_NODES. Every key of the stack's queues carries
 * the QUEUE_PREFIX hash tag, so one master serves all of them; losing that
 * master stops every queue until it is back, and the outbox bridges the gap.
 */
describe('Fault: herald on a Redis Cluster of 3 masters, one of which dies', () => {
  const cluster = new PrivateRedisCluster();
  const stack = new Stack();
  const readiness = async (url: string) => (await fetch(url)).status;
  let workerReady: string;
  let apiReady: string;
  /** A second API with rate limits on: their counters live in the queues' slot too. */
  let limitedApiUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    await cluster.start();
    await stack.start();
    env = {
      REDIS_CLUSTER_NODES: cluster.nodesVariable,
      // Nothing may reach the shared Redis: a REDIS_URL where no server listens.
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_ENABLED: 'false',
      JOB_ENQUEUE_TIMEOUT_MS: '500',
      OUTBOX_GRACE_MS: '500',
    };
    await stack.worker(env).startAndWaitReady();
    await stack.api(env).startAndWaitReady();
    const limitedPort = String(await freePort());
    await stack.api({ ...env, PORT: limitedPort, RATE_LIMIT_ENABLED: 'true' }).startAndWaitReady();
    limitedApiUrl = `http://127.0.0.1:${limitedPort}`;
    workerReady = `http://127.0.0.1:${stack.workerPort}/health/ready`;
    apiReady = `${stack.apiUrl}/health/ready`;
  });

  afterAll(async () => {
    await stack.stop().catch(() => undefined);
    await cluster.stop();
  });

  it('sends every verification email once, with the jobs in the slot of the prefix hash tag', async () => {
    const emails = Array.from({ length: 20 }, (_, i) => `cluster-${i}@example.com`);
    for (const email of emails)
      expect((await stack.client.POST('/users', { body: { email, password: PASSWORD } })).response.status).toBe(202);

    for (const email of emails) await stack.smtp.waitForMail(email, SendVerificationEmail.name, 1, 30_000);
    await waitFor(
      'every outbox row to be dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status <> 'dispatched'`)).length === 0,
    );
    for (const email of emails) expect(stack.smtp.to(email, SendVerificationEmail.name)).toHaveLength(1);

    // The jobs went to the cluster, to the master of the prefix's slot, and not to the shared Redis.
    expect(await cluster.keysInSlotOf(await cluster.ownerOf(stack.prefix), stack.prefix)).toBeGreaterThan(0);
    const shared = redisClient();
    try {
      expect(await keysWithPrefix(shared, stack.prefix)).toEqual([]);
    } finally {
      shared.disconnect();
    }
  });

  it("keeps registering while the queues' master is down, turns both apps unready, then mails each once and recovers", async () => {
    const owner = await cluster.ownerOf(stack.prefix);
    await cluster.kill(owner);
    const killed = Date.now();

    // The other masters still answer (PING, other slots); readiness must look at the queues' slot.
    await waitFor('the worker to report unready', async () => (await readiness(workerReady)) === 503);
    await waitFor('the API to report unready', async () => (await readiness(apiReady)) === 503);
    const unready = Date.now();
    await waitFor('the surviving masters to declare the cluster down', async () =>
      [...(await cluster.states()).values()].every((state) => state === 'fail'),
    );

    const emails = Array.from({ length: 10 }, (_, i) => `cluster-outage-${i}@example.com`);
    for (const email of emails)
      expect((await stack.client.POST('/users', { body: { email, password: PASSWORD } })).response.status).toBe(202);
    // The events wait in the outbox: committed, not dispatched, none mailed.
    const pending = await stack.db.query(`SELECT 1 FROM outbox WHERE status = 'pending'`);
    expect(pending).toHaveLength(emails.length);
    expect(await readiness(workerReady)).toBe(503);
    expect(emails.flatMap((email) => stack.smtp.to(email))).toEqual([]);

    // Rate limits without their Redis: each instance falls back to counters in memory, so the
    // limits still hold (per instance) and no request waits for the dead master.
    const login = async () => {
      const started = Date.now();
      const response = await fetch(`${limitedApiUrl}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'cluster-guess@example.com', password: 'not the password at all' }),
      });
      return { status: response.status, ms: Date.now() - started };
    };
    const attempts: { status: number; ms: number }[] = [];
    for (let i = 0; i < 11; i++) attempts.push(await login());
    expect(attempts.map((attempt) => attempt.status)).toEqual([...Array<number>(10).fill(401), 429]);
    const slowestLoginMs = Math.max(...attempts.map((attempt) => attempt.ms));
    expect(slowestLoginMs).toBeLessThan(5_000);
    const registration = await fetch(`${limitedApiUrl}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'cluster-limited@example.com', password: PASSWORD }),
    });
    expect(registration.status).toBe(202);
    emails.push('cluster-limited@example.com');
    // A worker starting now refuses, naming the cluster: its start-up check reads in the queues' slot, as
    // readiness does (a PING would pass: the other masters answer it).
    const late = stack.worker({ ...env, WORKER_PORT: String(await freePort()), STARTUP_TIMEOUT_MS: '1500' }).start();
    expect((await late.waitExit()).code).toBe(1);
    expect(late.lines.join('\n')).toMatch(/Gave up after 1500 ms waiting for Redis Cluster at \S+ \(REDIS_CLUSTER_NODES\): /);

    await cluster.restart(owner);
    const restarted = Date.now();
    await cluster.waitUntilOk();
    await waitFor('the worker to be ready again', async () => (await readiness(workerReady)) === 200, 30_000);
    await waitFor('the API to be ready again', async () => (await readiness(apiReady)) === 200, 30_000);
    const readyAgain = Date.now();

    for (const email of emails) await stack.smtp.waitForMail(email, SendVerificationEmail.name, 1, 60_000);
    await waitFor(
      'every outbox row to be dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status <> 'dispatched'`)).length === 0,
    );
    for (const email of emails) expect(stack.smtp.to(email, SendVerificationEmail.name)).toHaveLength(1);
    const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
    process.stdout.write(
      `redis cluster: both apps unready ${seconds(killed, unready)}s after the kill; ${emails.length} registrations accepted meanwhile; ` +
        `ready ${seconds(restarted, readyAgain)}s and all mailed once ${seconds(restarted, Date.now())}s after the restart; ` +
        `rate limits held in memory meanwhile (slowest log-in ${slowestLoginMs} ms)\n`,
    );
    // And the cluster serves new work as before.
    expect((await stack.client.POST('/users', { body: { email: 'cluster-after@example.com', password: PASSWORD } })).response.status).toBe(
      202,
    );
    await stack.smtp.waitForMail('cluster-after@example.com', SendVerificationEmail.name, 1, 30_000);
  }, 180_000);
});
