import { JobName } from '@herald/jobs';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = 'a long and lovely passphrase';

describe('Graceful shutdown (SIGTERM)', () => {
  const stack = new Stack();
  const accepted: string[] = [];

  beforeAll(async () => {
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('the API answers the requests it accepted, dispatches their events, then exits 0', async () => {
    const api = await stack.api({ RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    const emails = Array.from({ length: 12 }, (_, i) => `graceful-api-${i}@example.com`);
    let sigtermAt = Infinity;
    const requests = emails.map((email) =>
      stack.post('/users', { email, password: PASSWORD }).then(
        (response) => ({ email, status: response.status, at: Date.now() }),
        // A connection the server had not taken a request from yet is closed: the request was never accepted.
        () => ({ email, status: 0, at: Date.now() }),
      ),
    );

    await Promise.race(requests); // the first answer: others are in flight (hashing, committing)
    sigtermAt = Date.now();
    const exit = api.stop();
    const answers = await Promise.all(requests);
    expect(await exit).toEqual({ code: 0, signal: null });

    // Accepted requests were all answered 202, some of them after SIGTERM; none failed with an error status.
    expect(answers.filter((a) => a.status !== 202 && a.status !== 0)).toEqual([]);
    expect(answers.filter((a) => a.status === 202 && a.at > sigtermAt).length).toBeGreaterThan(0);
    accepted.push(...answers.filter((a) => a.status === 202).map((a) => a.email));

    // ...and the events of every accepted request were dispatched before the process exited.
    const rows = await stack.db.query<{ status: string }>(`SELECT status FROM outbox`);
    expect(rows).toHaveLength(accepted.length);
    expect(rows.every((row) => row.status === 'dispatched')).toBe(true);
  });

  it('the worker finishes its active jobs, leaves none stalled, and exits 0 in bounded time', async () => {
    const worker = await stack.worker({ WORKER_CONCURRENCY: '5' }).startAndWaitReady();
    const queue = stack.emailQueue();
    try {
      // First the jobs of the previous test; then SMTP turns slow.
      for (const email of accepted) await stack.smtp.waitForMail(email, JobName.SendVerificationEmail);
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
