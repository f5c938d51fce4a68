import { SendVerificationEmail, SendWelcomeEmail } from '@herald/notifications';
import type { Queue } from 'bullmq';
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password', ADMIN_READ_ONLY: 'true' };
const ARTIFACTS = 'test/artifacts';

/** Headless Chromium (Debian package) drives the real board of a real deployment. */
describe('Bull Board in a browser', () => {
  const stack = new Stack();
  let browser: Browser;
  let queue: Queue;
  let failedJobId: string;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await stack.start();
    await stack.worker().startAndWaitReady();
    await stack.api(ADMIN).startAndWaitReady();
    queue = stack.emailQueue();

    // A real registration gives a completed job; a job with invalid data gives a failed one.
    expect(
      (await stack.client.POST('/users', { body: { email: 'board@example.com', password: 'a long and lovely passphrase' } })).response
        .status,
    ).toBe(202);
    await stack.smtp.waitForMail('board@example.com', SendVerificationEmail.name);
    const bad = await queue.add(SendWelcomeEmail.name, { eventId: 'not-a-uuid', userId: 'nobody', correlationId: 'browser-test' });
    failedJobId = bad.id!;
    await waitFor('the invalid job to fail', async () => (await queue.getJob(failedJobId))?.isFailed());

    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await queue?.close();
    await stack.stop();
  });

  it('asks for credentials without them', async () => {
    const context = await browser.newContext();
    try {
      // Headless Chromium cannot show the login prompt: it fails the navigation on the 401 challenge.
      const outcome = await (await context.newPage()).goto(`${stack.apiUrl}/admin/queues`).then(
        (response) => `status ${response?.status()}`,
        (error: Error) => error.message,
      );
      expect(outcome).toMatch(/ERR_INVALID_AUTH_CREDENTIALS|status 401/);
    } finally {
      await context.close();
    }
  });

  it('logs in, shows the email queue with the completed job and opens a failed job', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: ADMIN.ADMIN_USER, password: ADMIN.ADMIN_PASSWORD },
      viewport: { width: 1400, height: 900 },
    });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.apiUrl}/admin/queues/queue/email?status=completed`, { waitUntil: 'domcontentloaded' });
      await page.getByText(SendVerificationEmail.name).first().waitFor({ timeout: 20_000 });
      await page.screenshot({ path: `${ARTIFACTS}/bull-board-completed.png`, fullPage: true });

      await page.goto(`${stack.apiUrl}/admin/queues/queue/email?status=failed`, { waitUntil: 'domcontentloaded' });
      await page.getByText(SendWelcomeEmail.name).first().waitFor({ timeout: 20_000 });
      await page.goto(`${stack.apiUrl}/admin/queues/queue/email/${failedJobId}`, { waitUntil: 'domcontentloaded' });
      await page
        .getByText(/Invalid payload for job/)
        .first()
        .waitFor({ timeout: 20_000 });
      await page.screenshot({ path: `${ARTIFACTS}/bull-board-failed-job.png`, fullPage: true });

      const body = await page.content();
      expect(body).not.toContain('board@example.com');
    } finally {
      await context.close();
    }
  });
});
