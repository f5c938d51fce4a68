import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { deliveryJobId, OutboxStatus } from '@herald/events';
import type { Browser } from 'playwright-core';
import type { AppProcess } from '../support/app-process.js';
import { launchChromium } from '../support/browser.js';
import { createPipelineHarness, ThingHappened, type PipelineHarness } from '../support/pipeline-harness.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password' };
const ARTIFACTS = 'test/artifacts';

/**
 * A real poison event, end to end. A newer release (the test context, in this
 * process, as an API that died right after its commit) records an event type
 * the deployed worker does not know. The worker's relay fails on it
 * OUTBOX_MAX_ATTEMPTS times and dead-letters it. The operator sees it in the
 * console; the cause is removed (the old worker stops, a relay that knows the
 * type takes over); the operator requeues it in the browser; it is delivered.
 */
describe('Outbox console in a browser', () => {
  const stack = new Stack();
  let browser: Browser;
  let worker: AppProcess;
  let newRelease: PipelineHarness;
  let eventId: string;

  const statusOf = async (id: string) =>
    (await stack.db.query<{ status: string }>('SELECT status FROM outbox WHERE id = $1', [id]))[0]?.status;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await stack.start();
    worker = await stack.worker({ OUTBOX_MAX_ATTEMPTS: '2' }).startAndWaitReady();
    await stack.api({ ...ADMIN, ADMIN_READ_ONLY: 'false' }).startAndWaitReady();
    newRelease = await createPipelineHarness({ db: stack.db, prefix: stack.prefix, skipPostCommitDispatch: true });

    const event = ThingHappened.create(randomUUID(), { label: 'from the next release' });
    eventId = event.eventId;
    await newRelease.uow.run(() => newRelease.uow.record([event]));
    await waitFor(
      'the worker relay to dead-letter the unknown event',
      async () => (await statusOf(eventId)) === OutboxStatus.Dead,
      30_000,
      100,
    );

    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await newRelease?.close();
    await stack.stop();
  });

  it('asks for credentials without them, on the page and on the requeue path', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      for (const path of ['/admin/outbox', '/admin/outbox/requeue']) {
        // Headless Chromium cannot show the login prompt: it fails the navigation on the 401 challenge.
        const outcome = await page.goto(`${stack.apiUrl}${path}`).then(
          (response) => `status ${response?.status()}`,
          (error: Error) => error.message,
        );
        expect(outcome).toMatch(/ERR_INVALID_AUTH_CREDENTIALS|status 401/);
      }
    } finally {
      await context.close();
    }
  });

  it('logs in, shows the dead row with its error, requeues it, and shows it delivered', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: ADMIN.ADMIN_USER, password: ADMIN.ADMIN_PASSWORD },
      viewport: { width: 1400, height: 900 },
      javaScriptEnabled: false, // the console works without it
    });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.apiUrl}/admin/outbox`);
      const row = page.locator(`tr[data-id="${eventId}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain(`No event class registered for "${ThingHappened.eventType}" v1`);
      expect(await page.locator('#dead-total').textContent()).toBe('1');
      await page.screenshot({ path: `${ARTIFACTS}/outbox-console-dead.png`, fullPage: true });

      // The cause goes: the worker that does not know the event type stops; the new release's relay will deliver.
      await worker.stop();

      await Promise.all([
        page.waitForURL(/\/admin\/outbox\?requeued=1$/),
        page.getByRole('button', { name: `Requeue ${eventId}` }).click(),
      ]);
      expect(await page.locator('#notice').textContent()).toContain('Requeued 1 dead row');
      expect(await page.locator('#dead-total').textContent()).toBe('0');
      expect(await page.locator('#pending').textContent()).toBe('1');
      await page.screenshot({ path: `${ARTIFACTS}/outbox-console-requeued.png`, fullPage: true });

      await waitFor('the requeued event to be delivered', async () => {
        await newRelease.relay.runOnce();
        return (await statusOf(eventId)) === OutboxStatus.Dispatched;
      });
      expect(await newRelease.thingQueue.getJob(deliveryJobId('test-ship-on-thing', eventId))).toBeDefined();

      await Promise.all([page.waitForURL(`${stack.apiUrl}/admin/outbox`), page.getByRole('link', { name: 'Refresh' }).click()]);
      expect(await page.locator('#pending').textContent()).toBe('0');
      const counts = await page.locator(`tr[data-event-type="${ThingHappened.eventType}"] td`).allTextContents();
      expect(counts).toEqual(['0', '0', '1']); // pending, dead, dispatched in the last hour
      expect(await page.locator('#dispatch-lag').textContent()).toMatch(/median/);
      await page.screenshot({ path: `${ARTIFACTS}/outbox-console-delivered.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('is a link away from Bull Board', async () => {
    const context = await browser.newContext({ httpCredentials: { username: ADMIN.ADMIN_USER, password: ADMIN.ADMIN_PASSWORD } });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.apiUrl}/admin/queues`);
      const config = await page.locator('#__UI_CONFIG__').textContent();
      expect(JSON.parse(config!)).toMatchObject({ miscLinks: [{ text: 'Outbox console', url: '/admin/outbox' }] });
    } finally {
      await context.close();
    }
  });
});
