import { SendVerificationEmail } from '@herald/notifications';
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

  it('the API answers every request it was sent, dispatches the events of those it accepted, then exits 0', async () => {
    const api = await stack.api({ RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    const emails = Array.from({ length: 12 }, (_, i) => `graceful-api-${i}@example.com`);
    let sigtermAt = Infinity;
    const requests = emails.map((email) =>
      stack.client.POST('/users', { body: { email, password: PASSWORD } }).then(
        ({ response, data, error }) => ({ email, status: response.status, at: Date.now(), body: (data ?? error) as { code?: string } }),
        (error: Error) => ({ email, status: 0, at: Date.now(), body: { code: String(error.cause ?? error) } }),
      ),
    );

    await Promise.race(requests); // the first answer: others are in flight (hashing, committing)
    sigtermAt = Date.now();
    const exit = api.stop();
    const answers = await Promise.all(requests);
    expect(await exit).toEqual({ code: 0, signal: null });

    // The API keeps its listener until the requests it admitted are answered, so no connection is reset:
    // each request got 202 or, had it arrived once the API was draining, 503 SHUTTING_DOWN.
    expect(answers.filter((a) => a.status !== 202 && !(a.status === 503 && a.body.code === 'SHUTTING_DOWN'))).toEqual([]);
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
      for (const email of accepted) await stack.smtp.waitForMail(email, SendVerificationEmail.name);
      await waitFor(
        'the queue to be idle',
        async () => (await queue.getJobCounts('active', 'waiting')).active + (await queue.getJobCounts('waiting')).waiting === 0,
      );
      // Slow enough that none of the first five mails is done before the eighth registration's job is queued
      // (each registration is resolved by the worker first): five active, three waiting when the worker stops.
      stack.smtp.delayMs = 4000;
      const api = await stack.api({ RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
      for (let i = 0; i < 8; i++)
        expect(
          (await stack.client.POST('/users', { body: { email: `graceful-worker-${i}@example.com`, password: PASSWORD } })).response.status,
        ).toBe(202);
      await api.stop();

      // Every registration resolved (its verification email queued) before the worker is stopped.
      await waitFor(
        'the account requests to be resolved',
        async () => (await stack.db.query('SELECT 1 FROM account_requests')).length === 0,
      );
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
      const next = await stack.worker().startAndWaitReady();
      for (let i = 0; i < 8; i++) await stack.smtp.waitForMail(`graceful-worker-${i}@example.com`, SendVerificationEmail.name);
      for (let i = 0; i < 8; i++) expect(stack.smtp.to(`graceful-worker-${i}@example.com`)).toHaveLength(1);
      expect(await next.stop()).toEqual({ code: 0, signal: null });
    } finally {
      await queue.close();
    }
  });

  it('absorbs stop signals after the first: the drain goes on, "already shutting down" is logged once, and the exit is still 0', async () => {
    const api = await stack.api({ RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    const emails = Array.from({ length: 3 }, (_, i) => `graceful-repeat-${i}@example.com`);
    for (const email of emails)
      expect((await stack.client.POST('/users', { body: { email, password: PASSWORD } })).response.status).toBe(202);
    await api.stop();

    stack.smtp.delayMs = 2000; // a drain that lasts: three mails in the middle of delivery
    try {
      const worker = await stack.worker().startAndWaitReady();
      const logged = (msg: string) => worker.logs().filter((line) => line.msg === msg);
      await waitFor('three mails in the middle of delivery', () => stack.smtp.receiving === 3);

      worker.signal('SIGTERM');
      await waitFor('the drain to begin', () => logged('shutting down: finishing work in flight').length === 1);
      worker.signal('SIGTERM'); // what a process group stopped by a supervisor gets from a forwarding parent
      worker.signal('SIGINT');
      await waitFor('the repeat to be noticed', () => logged('already shutting down').length > 0);

      expect(await worker.waitExit()).toEqual({ code: 0, signal: null });
      // One line for both repeats (whichever Node handled first).
      expect(logged('already shutting down')).toEqual([
        expect.objectContaining({ level: 'warn', signal: expect.stringMatching(/^SIG(TERM|INT)$/) }),
      ]);
      expect(logged('stopped')).toHaveLength(1);
      expect(stack.smtp.receiving).toBe(0);
      for (const email of emails) expect(stack.smtp.to(email, SendVerificationEmail.name)).toHaveLength(1);
    } finally {
      stack.smtp.delayMs = 0;
    }
  });
});
