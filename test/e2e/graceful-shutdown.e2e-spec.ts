import { Queue } from 'bullmq';
import { JobName, QueueName } from '@herald/jobs';
import { TEST_REDIS_URL } from '../support/env.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = 'a long and lovely passphrase';

describe('Graceful shutdown (SIGTERM)', () => {
  const stack = new Stack();

  beforeAll(async () => {
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('the API answers the requests it accepted, dispatches their events, then exits 0', async () => {
    const api = await stack.api({ RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    const emails = Array.from({ length: 12 }, (_, i) => `graceful-api-${i}@example.com`);
    const requests = emails.map((email) => stack.post('/users', { email, password: PASSWORD }).then((response) => response.status));

    await Promise.race(requests); // the first answer: the others are in flight (hashing, committing)
    const exit = api.stop();
    expect(await Promise.all(requests)).toEqual(emails.map(() => 202));
    expect(await exit).toEqual({ code: 0, signal: null });

    const rows = await stack.db.query<{ status: string }>(`SELECT status FROM outbox`);
    expect(rows).toHaveLength(emails.length);
    expect(rows.every((row) => row.status === 'dispatched')).toBe(true);
  });

  it('the worker finishes its active jobs, leaves none stalled, and exits 0 in bounded time', async () => {
    const worker = await stack.worker({ WORKER_CONCURRENCY: '5' }).startAndWaitReady();
    const queue = new Queue(QueueName.Email, { connection: { url: TEST_REDIS_URL }, prefix: stack.prefix });
    try {
      // First the 12 jobs of the previous test; then SMTP turns slow.
      for (let i = 0; i < 12; i++) await stack.smtp.waitForMail(`graceful-api-${i}@example.com`, JobName.SendVerificationEmail);
      await waitFor(
        'the queue to be idle',
        async () => (await queue.getJobCounts('active', 'waiting')).active + (await queue.getJobCounts('waiting')).waiting === 0,
      );
      stack.smtp.delayMs = 1500;
      const api = await stack.api({ RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
      for (let i = 0; i < 8; i++)
        expect((await stack.post('/users', { email: `graceful-worker-${i}@example.com`, password: PASSWORD })).status).toBe(202);
      await api.stop();

      await waitFor('five mails in the middle of delivery', () => stack.smtp.receiving === 5);
      const stopping = Date.now();
      expect(await worker.stop()).toEqual({ code: 0, signal: null });
      expect(Date.now() - stopping).toBeLessThan(10_000);
      expect(stack.smtp.receiving).toBe(0);

      const counts = await queue.getJobCounts('active', 'waiting', 'completed');
      expect(counts.active).toBe(0);
      expect(counts.waiting).toBe(3); // not started: they wait for the next worker
      expect(worker.logs().some((line) => line.msg === 'job stalled; it will run again')).toBe(false);

      stack.smtp.delayMs = 0;
      await stack.worker().startAndWaitReady();
      for (let i = 0; i < 8; i++) await stack.smtp.waitForMail(`graceful-worker-${i}@example.com`, JobName.SendVerificationEmail);
      for (let i = 0; i < 8; i++) expect(stack.smtp.to(`graceful-worker-${i}@example.com`)).toHaveLength(1);
    } finally {
      await queue.close();
    }
  });
});
