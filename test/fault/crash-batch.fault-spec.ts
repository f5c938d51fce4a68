import { SendVerificationEmail } from '@herald/notifications';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const BATCH = 100;

/**
 * 100 registrations are committed, none dispatched (test/support/faulty-api.mjs, skip-dispatch
 * holds every post-commit dispatch back), then the API is killed with SIGKILL:
 * the state a crash between commit and dispatch leaves, 100 times over.
 */
describe('Fault: the API dies after committing a batch of 100 registrations, before dispatching them', () => {
  const stack = new Stack();

  beforeAll(async () => {
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('the relay delivers every verification email exactly once and reports the redeliveries', async () => {
    const api = await stack.faultyApi('skip-dispatch', { RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    const emails = Array.from({ length: BATCH }, (_, i) => `batch-${i}@example.com`);
    for (let i = 0; i < BATCH; i += 10) {
      const statuses = await Promise.all(
        emails
          .slice(i, i + 10)
          .map(
            async (email) =>
              (await stack.client.POST('/users', { body: { email, password: 'a long and lovely passphrase' } })).response.status,
          ),
      );
      expect(statuses).toEqual(Array(statuses.length).fill(202));
    }
    api.kill();
    expect(await api.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await stack.db.query(`SELECT status, count(*)::int AS n FROM outbox GROUP BY status`)).toEqual([
      { status: 'pending', n: BATCH },
    ]);

    const recoveryStarted = Date.now();
    const worker = await stack.worker().startAndWaitReady();
    for (const email of emails) await stack.smtp.waitForMail(email, SendVerificationEmail.name, 1, 60_000);
    const recoverySeconds = (Date.now() - recoveryStarted) / 1000;
    await waitFor(
      'every row dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status <> 'dispatched'`)).length === 0,
    );

    for (const email of emails) expect(stack.smtp.to(email)).toHaveLength(1);
    const queue = stack.emailQueue();
    try {
      await waitFor('all jobs completed', async () => (await queue.getJobCounts('completed')).completed === BATCH);
      expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'active')).toEqual({
        completed: BATCH,
        failed: 0,
        waiting: 0,
        active: 0,
      });
    } finally {
      await queue.close();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${stack.workerPort}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`herald_outbox_relay_redeliveries_total ${BATCH}\\b`));
    expect(
      worker
        .logs()
        .filter((line) => line.msg === 'outbox relay redelivered events')
        .reduce((sum, line) => sum + Number(line.count), 0),
    ).toBe(BATCH);
    process.stdout.write(
      `crash batch: ${BATCH} committed, undispatched events; all mailed once within ${recoverySeconds.toFixed(1)} s of the worker starting\n`,
    );
  }, 180_000);
});
