import { SendVerificationEmail } from '@herald/notifications';
import { runCli } from '../support/app-process.js';
import { PrivateRedis } from '../support/redis-server.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const USERS = 20;

describe('Fault: Redis restarts empty (kill -9 without persistence) before the jobs ran', () => {
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

  it('the reconciliation sweep finds the events whose jobs vanished, and each email is sent once', async () => {
    const env = { REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'false' };
    const api = await stack.api(env).startAndWaitReady();
    const emails = Array.from({ length: USERS }, (_, i) => `lost-${i}@example.com`);
    for (const email of emails)
      expect((await stack.client.POST('/users', { body: { email, password: 'a long and lovely passphrase' } })).response.status).toBe(202);
    await waitFor(
      'every row dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status = 'dispatched'`)).length === USERS,
    );
    await api.stop();

    // The jobs exist only in Redis, which now dies and comes back empty.
    await redis.kill();
    await redis.start();
    await stack.worker(env).startAndWaitReady();
    const cli = (args: string[]) => runCli(args, { DATABASE_URL: stack.db.url, REDIS_URL: redis.url, QUEUE_PREFIX: stack.prefix });

    const dryRun = await cli(['outbox:reconcile', '--since', '1h', '--dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    expect(JSON.parse(dryRun.stdout)).toMatchObject({ checked: USERS, missing: USERS, redelivered: 0 });
    expect(stack.smtp.messages).toHaveLength(0);

    const sweep = await cli(['outbox:reconcile', '--since', '1h', '--json']);
    expect(JSON.parse(sweep.stdout)).toMatchObject({ checked: USERS, missing: USERS, redelivered: USERS });
    for (const email of emails) await stack.smtp.waitForMail(email, SendVerificationEmail.name);
    // The registration requests, and the UserRegistered events their resolution raised.
    await waitFor(
      'every row dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status = 'dispatched'`)).length === 2 * USERS,
    );

    // A second sweep finds nothing: the jobs exist again (completed).
    const again = await cli(['outbox:reconcile', '--since', '1h', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ checked: 2 * USERS, missing: 0, redelivered: 0 });
    for (const email of emails) expect(stack.smtp.to(email)).toHaveLength(1);

    const tooLong = await cli(['outbox:reconcile', '--since', '30d']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/JOB_COMPLETED_RETENTION_HOURS/);
  });
});
