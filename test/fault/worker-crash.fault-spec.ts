import { EFFECT_PERFORMED_AT, stalledCheckInterval } from '@herald/jobs';
import { freePort } from '../support/ports.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const JOBS = 500;
const CONCURRENCY = 20;
const LOCK_MS = 3000;

describe('Fault: a worker is killed (SIGKILL) with 20 emails in flight', () => {
  const stack = new Stack();

  beforeAll(async () => {
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('another worker sends every email; only mails the SMTP server had received in full and nobody recorded are sent twice', async () => {
    const users = await stack.seedWelcomeJobs(JOBS, 'crash');
    const eventOf = new Map(users.map((user) => [user.email, user.eventId]));
    const queue = stack.emailQueue();

    const env = {
      WORKER_CONCURRENCY: String(CONCURRENCY),
      WORKER_LOCK_DURATION_MS: String(LOCK_MS),
      SMTP_CONNECTION_TIMEOUT_MS: '500',
      SMTP_GREETING_TIMEOUT_MS: '500',
      SMTP_SOCKET_TIMEOUT_MS: '2000',
    };
    // Mails in every state at the kill: waiting for the answer to RCPT TO (nothing sent yet), received in full and
    // waiting for the "250" (300 ms), answered and being recorded.
    stack.smtp.rcptDelayMs = () => Math.floor(Math.random() * 400);
    stack.smtp.delayMs = 300;
    const first = await stack.worker(env).startAndWaitReady();
    await waitFor(
      'the first worker well under way, with mails received in full and unanswered',
      () => stack.smtp.messages.length >= 60 && stack.smtp.receiving >= 3,
      60_000,
      5,
    );
    first.kill();
    const killedAt = Date.now();
    expect(await first.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });

    // What the SMTP server holds from the dead worker is final once its connections are gone and every
    // message received in full was queued (as an MTA does, even with the client gone before the "250").
    await waitFor('the SMTP server to settle', () => stack.smtp.settled && stack.smtp.receiving === 0);
    const receivedInFull = new Set(stack.smtp.messages.map((mail) => mail.eventId!));
    const doneInInbox = new Set(
      (await stack.db.query<{ event_id: string }>(`SELECT event_id FROM inbox WHERE status = 'done'`)).map((row) => row.event_id),
    );
    const unrecorded = new Set<string>();
    for (const eventId of receivedInFull) {
      if (doneInInbox.has(eventId)) continue;
      const job = await queue.getJob(`test.${eventId}`);
      const journaled = typeof job?.progress === 'object' && job.progress !== null && EFFECT_PERFORMED_AT in job.progress;
      if (!journaled) unrecorded.add(eventId);
    }

    stack.smtp.rcptDelayMs = () => 0;
    stack.smtp.delayMs = 0;
    const port = await freePort();
    const second = await stack.worker({ ...env, WORKER_PORT: String(port) }).startAndWaitReady();
    const secondReadyAt = Date.now();
    await waitFor(`${JOBS} welcome emails`, () => new Set(stack.smtp.messages.map((mail) => mail.to)).size === JOBS, 120_000, 250);
    await waitFor('every job completed', async () => (await queue.getJobCounts('completed')).completed === JOBS, 30_000);

    // Nothing lost; a repeat only for a mail received in full before the kill that no record (inbox, job) covered.
    const counts = stack.smtp.countsByRecipient();
    const repeated = [...counts].filter(([, count]) => count > 1).map(([email]) => eventOf.get(email)!);
    expect(users.filter((user) => counts.get(user.email) === undefined)).toEqual([]);
    expect([...counts.values()].filter((count) => count > 2)).toEqual([]);
    expect(repeated.filter((eventId) => !unrecorded.has(eventId))).toEqual([]);
    for (const mail of stack.smtp.acceptedAfterClientLeft) expect(unrecorded.has(mail.eventId!)).toBe(true);
    expect(await queue.getJobCounts('completed', 'failed', 'active', 'waiting')).toEqual({
      completed: JOBS,
      failed: 0,
      active: 0,
      waiting: 0,
    });

    // Recovery: the dead worker's jobs are back in the queue one lock duration (plus a stalled-check interval or
    // two) after the kill, or right after the second worker came up if that took longer.
    const stalledLines = second.logs().filter((line) => line.msg === 'job stalled; it will run again');
    expect(stalledLines.length).toBeGreaterThanOrEqual(1);
    const recoveredAt = Math.max(...stalledLines.map((line) => Date.parse(String(line.time))));
    const recoveryMs = recoveredAt - killedAt;
    const interval = stalledCheckInterval(LOCK_MS);
    expect(recoveryMs).toBeLessThanOrEqual(Math.max(LOCK_MS, secondReadyAt - killedAt) + 2 * interval + 750);
    process.stdout.write(
      `worker crash: ${JOBS} jobs, ${stalledLines.length} stalled at the kill, ${unrecorded.size} received in full and unrecorded ` +
        `(${stack.smtp.acceptedAfterClientLeft.length} of them unanswered), ${repeated.length} mailed twice, none lost; ` +
        `recovery ${recoveryMs} ms after the kill (lock ${LOCK_MS} ms, stalled check every ${interval} ms, second worker ready after ` +
        `${secondReadyAt - killedAt} ms)\n`,
    );
  }, 180_000);
});
