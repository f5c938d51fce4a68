import { SendVerificationEmail } from '@herald/notifications';
import { tokenFromMail } from '../support/smtp-sink.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = 'a long and lovely passphrase';
/** The SMTP server takes this long to accept each mail. */
const SLOW_SMTP_MS = 8000;

/** The status of a POST and how long it took to answer. */
async function timed(
  request: () => Promise<{ response: Response; error?: { code?: string } }>,
): Promise<{ status: number; code?: string; ms: number }> {
  const started = performance.now();
  const { response, error } = await request();
  return { status: response.status, code: error?.code, ms: Math.round(performance.now() - started) };
}

describe('Fault: the SMTP server takes 8 s to accept a mail', () => {
  describe('the API', () => {
    const stack = new Stack();

    beforeAll(async () => {
      await stack.start();
      await stack.worker().startAndWaitReady();
      await stack.api({ RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    });
    afterAll(async () => {
      stack.smtp.delayMs = 0;
      await stack.stop();
    });

    it('answers verify-email in under a second and keeps registering at its pace while a mail for that user hangs', async () => {
      expect((await stack.client.POST('/users', { body: { email: 'hang@example.com', password: PASSWORD } })).response.status).toBe(202);
      const [first] = await stack.smtp.waitForMail('hang@example.com', SendVerificationEmail.name);

      stack.smtp.delayMs = SLOW_SMTP_MS;
      expect((await stack.client.POST('/users/verification-email', { body: { email: 'hang@example.com' } })).response.status).toBe(202);
      // The new link's mail is with the SMTP server: its token exists and the first link is revoked.
      await waitFor('the resent mail to be with the SMTP server', () => stack.smtp.receiving === 1);

      const verify = await timed(() => stack.client.POST('/users/verify-email', { body: { token: tokenFromMail(first!) } }));
      expect(verify).toMatchObject({ status: 400, code: 'INVALID_VERIFICATION_TOKEN' });
      expect(verify.ms).toBeLessThan(1000);

      const registrations = [];
      for (let i = 0; i < 5; i++)
        registrations.push(
          await timed(() => stack.client.POST('/users', { body: { email: `during-${i}@example.com`, password: PASSWORD } })),
        );
      expect(registrations.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
      // Not held up by the hanging mail (8 s); an Argon2 hash on a busy 2-core machine can take a few hundred ms.
      for (const answer of registrations) expect(answer.ms).toBeLessThan(SLOW_SMTP_MS / 4);

      stack.smtp.delayMs = 0;
      const mails = await stack.smtp.waitForMail('hang@example.com', SendVerificationEmail.name, 2, SLOW_SMTP_MS + 10_000);
      expect((await stack.client.POST('/users/verify-email', { body: { token: tokenFromMail(mails[1]!) } })).response.status).toBe(200);
      for (let i = 0; i < 5; i++) await stack.smtp.waitForMail(`during-${i}@example.com`, SendVerificationEmail.name);
      const verificationMails = (address: string) => stack.smtp.to(address, SendVerificationEmail.name).length;
      expect(verificationMails('hang@example.com')).toBe(2); // the first link and the resend
      for (let i = 0; i < 5; i++) expect(verificationMails(`during-${i}@example.com`)).toBe(1);
      process.stdout.write(
        `slow smtp: verify-email answered in ${verify.ms} ms, registrations in ${registrations.map((r) => r.ms).join('/')} ms ` +
          `while a mail hung ${SLOW_SMTP_MS} ms\n`,
      );
    });
  });

  describe('a worker with 50 jobs at once', () => {
    const stack = new Stack();
    const JOBS = 50;

    beforeAll(async () => {
      await stack.start();
    });
    afterAll(async () => {
      stack.smtp.delayMs = 0;
      await stack.stop();
    });

    it('fails no job for lack of a database connection, and every email arrives once', async () => {
      const users = await stack.seedWelcomeJobs(JOBS, 'fifty');
      stack.smtp.delayMs = SLOW_SMTP_MS;
      // As many SMTP connections as jobs: all 50 conversations hang at the server at once.
      const worker = await stack.worker({ WORKER_CONCURRENCY: String(JOBS), SMTP_MAX_CONNECTIONS: String(JOBS) }).startAndWaitReady();

      await waitFor(`all ${JOBS} mails with the SMTP server at once`, () => stack.smtp.receiving === JOBS, 20_000);
      await waitFor(`${JOBS} welcome emails`, () => stack.smtp.messages.length >= JOBS, SLOW_SMTP_MS + 20_000);
      const queue = stack.emailQueue();
      await waitFor('every job completed', async () => (await queue.getJobCounts('completed')).completed === JOBS);

      const counts = stack.smtp.countsByRecipient();
      expect(users.map((user) => counts.get(user.email))).toEqual(users.map(() => 1));
      expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: JOBS, failed: 0 });
      expect(worker.logs().filter((line) => line.msg === 'job failed')).toEqual([]);
    });
  });
});
