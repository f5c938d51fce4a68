import { SendVerificationEmail } from '@herald/notifications';
import { runCli } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password' };

describe('Fault: a poison job (its email is refused for now, on every attempt)', () => {
  const stack = new Stack();

  beforeAll(async () => {
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('is retried with backoff, ends failed, shows in the CLI and Bull Board, and never blocks other jobs', async () => {
    // A transient refusal (450): worth retrying, so the job uses its attempts. A permanent one (550) fails at once
    // (test/e2e/mail-refusal).
    stack.smtp.deferRecipients = /^poison@/;
    const env = { JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '300', WORKER_CONCURRENCY: '2' };
    await stack.worker(env).startAndWaitReady();
    await stack.api({ ...env, ...ADMIN }).startAndWaitReady();

    expect(
      (await stack.client.POST('/users', { body: { email: 'poison@example.com', password: 'a long and lovely passphrase' } })).response
        .status,
    ).toBe(202);
    const others = Array.from({ length: 10 }, (_, i) => `healthy-${i}@example.com`);
    for (const email of others)
      expect((await stack.client.POST('/users', { body: { email, password: 'a long and lovely passphrase' } })).response.status).toBe(202);
    for (const email of others) await stack.smtp.waitForMail(email, SendVerificationEmail.name);

    const env2 = { DATABASE_URL: stack.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: stack.prefix };
    const failed = await waitFor(
      'the poison job to fail for good',
      async () => {
        const result = await runCli(['jobs:failed', '--queue', 'email', '--json'], env2);
        const jobs = JSON.parse(result.stdout) as { name: string; attemptsMade: number; failedReason: string; failedAt?: unknown }[];
        return jobs.length === 1 ? jobs[0] : null;
      },
      30_000,
      500,
    );
    expect(failed).toMatchObject({ name: SendVerificationEmail.name, attemptsMade: 3 });
    // The reason names the code and the masked address, never the address (the server's reply quotes it).
    expect(failed.failedReason).toMatch(/refused the recipient \(to p\*\*\*@example\.com\): 450 4\.2\.0/);
    expect(failed.failedReason).not.toContain('poison@example.com');
    expect(stack.smtp.to('poison@example.com')).toHaveLength(0);
    expect(stack.smtp.refusals.filter((refusal) => refusal.address === 'poison@example.com')).toHaveLength(3);

    const board = await stack.get('/admin/queues/api/queues?activeQueue=email&status=failed&page=1&jobsPerPage=10', {
      authorization: `Basic ${Buffer.from(`${ADMIN.ADMIN_USER}:${ADMIN.ADMIN_PASSWORD}`).toString('base64')}`,
    });
    expect(board.status).toBe(200);
    const shown = await board.text();
    expect(shown).toMatch(/p\*\*\*@example\.com/);
    expect(shown).not.toContain('poison@example.com');
  });
});
