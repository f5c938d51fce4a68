import { SendPasswordResetEmail, SendVerificationEmail } from '@herald/notifications';
import { AccountRequestReceived } from '@herald/users';
import { tokenFromMail } from '../support/smtp-sink.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

describe('Fault: the API dies between commit and dispatch', () => {
  const stack = new Stack();

  beforeAll(async () => {
    await stack.start();
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('the relay in the worker delivers the verification email exactly once', async () => {
    const crashingApi = await stack.faultyApi('crash-after-commit').startAndWaitReady();

    const request = await stack.client
      .POST('/users', { body: { email: 'crash@example.com', password: 'a long and lovely passphrase' } })
      .catch((error: Error) => error);
    expect(String(request)).toMatch(/fetch failed/); // the connection died with the process
    expect(await crashingApi.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });

    // Committed, not dispatched: the registration request and its pending outbox row exist (the account comes when it is resolved).
    expect(await stack.db.query(`SELECT kind, email FROM account_requests`)).toEqual([
      { kind: 'registration', email: 'crash@example.com' },
    ]);
    expect(await stack.db.query(`SELECT event_type, status FROM outbox`)).toEqual([
      { event_type: AccountRequestReceived.eventType, status: 'pending' },
    ]);

    const worker = await stack.worker().startAndWaitReady();
    await stack.smtp.waitForMail('crash@example.com', SendVerificationEmail.name);
    expect(await stack.db.query(`SELECT email FROM users`)).toEqual([{ email: 'crash@example.com' }]);
    expect(await stack.db.query(`SELECT 1 FROM account_requests`)).toEqual([]);
    await waitFor(
      'the outbox rows (the request, then UserRegistered) to be dispatched',
      async () => (await stack.db.query(`SELECT 1 FROM outbox WHERE status = 'dispatched'`)).length === 2,
    );
    await waitFor('the inbox to record the email', async () => (await stack.db.query(`SELECT 1 FROM inbox`)).length === 1);
    expect(worker.logs().some((line) => line.msg === 'outbox relay redelivered events')).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.workerPort}/metrics`)).text();
    expect(metrics).toMatch(/herald_outbox_relay_redeliveries_total 1\b/);

    // Exactly one job was created for the event and it is done; nothing is left to send.
    const queue = stack.emailQueue();
    try {
      await waitFor('the job to be marked completed', async () => (await queue.getJobCounts('completed')).completed === 1);
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
    } finally {
      await queue.close();
    }
    expect(stack.smtp.to('crash@example.com', SendVerificationEmail.name)).toHaveLength(1);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it('the relay delivers the password reset email of a request whose API died after commit, and its link works', async () => {
    const userId = '01938a8e-7c00-7000-8000-0000000000c1';
    await stack.db.query(
      `INSERT INTO users (id, email, password_hash, email_verified_at) VALUES ($1, 'reset-crash@example.com', 'x', now())`,
      [userId],
    );
    const crashingApi = await stack.faultyApi('crash-after-commit').startAndWaitReady();
    const request = await stack.client
      .POST('/auth/password-reset', { body: { email: 'reset-crash@example.com' } })
      .catch((error: Error) => error);
    expect(String(request)).toMatch(/fetch failed/);
    expect(await crashingApi.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await stack.db.query(`SELECT event_type, status FROM outbox WHERE status = 'pending'`)).toEqual([
      { event_type: AccountRequestReceived.eventType, status: 'pending' },
    ]);

    await stack.worker().startAndWaitReady();
    const [mail] = await stack.smtp.waitForMail('reset-crash@example.com', SendPasswordResetEmail.name);
    await stack.api().startAndWaitReady();
    const confirm = await stack.client.POST('/auth/password-reset/confirm', {
      body: { token: tokenFromMail(mail!), newPassword: 'a new and long passphrase' },
    });
    expect(confirm.response.status).toBe(204);
    expect(stack.smtp.to('reset-crash@example.com', SendPasswordResetEmail.name)).toHaveLength(1);
  });
});
