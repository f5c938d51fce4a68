import { SendVerificationEmail } from '@herald/notifications';
import { PrivateRedis } from '../support/redis-server.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const OUTAGE_MS = 15_000;
const PASSWORD = 'a long and lovely passphrase';

describe('Fault: Redis goes away for 15 s while registrations continue', () => {
  const stack = new Stack();
  const redis = new PrivateRedis();

  beforeAll(async () => {
    await redis.start();
    await stack.start();
  });

  afterAll(async () => {
    await stack.stop().catch(() => undefined);
    await redis.kill();
  });

  it('keeps registering, turns the worker unready, then sends every email once and recovers by itself', async () => {
    const env = { REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'false', JOB_ENQUEUE_TIMEOUT_MS: '500', OUTBOX_GRACE_MS: '500' };
    await stack.worker(env).startAndWaitReady();
    await stack.api(env).startAndWaitReady();
    const readiness = async () => (await fetch(`http://127.0.0.1:${stack.workerPort}/health/ready`)).status;

    await redis.kill();
    const outageStarted = Date.now();
    await waitFor('the worker to report unready', async () => (await readiness()) === 503);

    const emails: string[] = [];
    while (Date.now() - outageStarted < OUTAGE_MS) {
      const email = `outage-${emails.length}@example.com`;
      const { response } = await stack.client.POST('/users', { body: { email, password: PASSWORD } });
      expect(response.status).toBe(202); // the events wait in the outbox
      emails.push(email);
    }
    expect(emails.length).toBeGreaterThan(5);
    expect(await readiness()).toBe(503);

    await redis.start();
    const recoveryStarted = Date.now();
    await waitFor('the worker to be ready again', async () => (await readiness()) === 200, 30_000);
    for (const email of emails) await stack.smtp.waitForMail(email, SendVerificationEmail.name, 1, 60_000);
    const recoverySeconds = (Date.now() - recoveryStarted) / 1000;

    await waitFor(
      'every outbox row to be dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status <> 'dispatched'`)).length === 0,
    );
    for (const email of emails) expect(stack.smtp.to(email, SendVerificationEmail.name)).toHaveLength(1);
    expect(recoverySeconds).toBeLessThan(60);
    process.stdout.write(
      `redis outage: ${emails.length} registrations during ${OUTAGE_MS / 1000}s, all mailed once ${recoverySeconds.toFixed(1)}s after Redis returned\n`,
    );
  }, 180_000);
});
