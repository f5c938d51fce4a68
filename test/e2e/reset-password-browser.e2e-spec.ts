import type { Browser, BrowserContext, Request } from 'playwright-core';
import { SendPasswordResetEmail, SendVerificationEmail } from '@herald/notifications';
import { launchChromium } from '../support/browser.js';
import { tokenFromMail } from '../support/smtp-sink.js';
import { Stack } from '../support/stack.js';

const PASSWORD = 'a long and lovely passphrase';
const NEW_PASSWORD = 'no-script passphrase, long enough';

/**
 * The reset page with JavaScript off (NoScript, a strict CSP): its form must POST, never put the password in a
 * URL, and still reset the password (issue 19, item 7). Built API and worker, real Postgres, Redis and SMTP,
 * headless Chromium.
 */
describe('Reset password page without JavaScript (browser)', () => {
  const stack = new Stack();
  let browser: Browser;
  let context: BrowserContext;
  /** Every request the page made, as the browser sent it. */
  let requests: Request[];

  beforeAll(async () => {
    await stack.start();
    await stack.worker().startAndWaitReady();
    await stack.api().startAndWaitReady();
    browser = await launchChromium();
  });

  beforeEach(async () => {
    context = await browser.newContext({ javaScriptEnabled: false });
    requests = [];
    context.on('request', (request) => requests.push(request));
  });

  afterEach(async () => {
    await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  });

  async function resetLink(email: string): Promise<string> {
    expect((await stack.client.POST('/users', { body: { email, password: PASSWORD } })).response.status).toBe(202);
    const [verification] = await stack.smtp.waitForMail(email, SendVerificationEmail.name);
    expect((await stack.client.POST('/users/verify-email', { body: { token: tokenFromMail(verification!) } })).response.status).toBe(200);
    expect((await stack.client.POST('/auth/password-reset', { body: { email } })).response.status).toBe(202);
    const [mail] = await stack.smtp.waitForMail(email, SendPasswordResetEmail.name);
    // APP_BASE_URL points elsewhere in tests: the same path on this API.
    return `${stack.apiUrl}/reset-password?token=${encodeURIComponent(tokenFromMail(mail!))}`;
  }

  const logIn = async (email: string, password: string) => (await stack.client.POST('/auth/login', { body: { email, password } })).response;

  it('sets the new password by a POST of the form, with no password in any URL, and the new password logs in', async () => {
    const page = await context.newPage();
    await page.goto(await resetLink('noscript@example.com'));
    await page.fill('#password', NEW_PASSWORD);
    await Promise.all([page.waitForURL(`${stack.apiUrl}/reset-password`), page.click('#submit')]);

    await page.getByText('Your password is changed. You can sign in with it now.').waitFor();
    const submitted = requests.find((request) => request.method() === 'POST');
    expect(submitted?.url()).toBe(`${stack.apiUrl}/reset-password`);
    expect(new URLSearchParams(submitted!.postData() ?? '').get('newPassword')).toBe(NEW_PASSWORD);
    const encoded = [NEW_PASSWORD, encodeURIComponent(NEW_PASSWORD), new URLSearchParams({ p: NEW_PASSWORD }).toString().slice(2)];
    for (const request of requests) for (const form of encoded) expect(request.url()).not.toContain(form);

    expect((await logIn('noscript@example.com', NEW_PASSWORD)).status).toBe(200);
    expect((await logIn('noscript@example.com', PASSWORD)).status).toBe(401);
  });

  it('shows the policy and keeps the link working when the password is refused, then takes a good one', async () => {
    const page = await context.newPage();
    await page.goto(await resetLink('noscript-short@example.com'));
    // The browser's own minlength check stands in the way of a short password: take it away, as an old browser would lack it.
    await page.$eval('#password', (input) => input.removeAttribute('minlength'));
    await page.fill('#password', 'too short');
    await Promise.all([page.waitForURL(`${stack.apiUrl}/reset-password`), page.click('#submit')]);
    await page.getByText('The password must have at least 12 characters.').waitFor();

    await page.fill('#password', NEW_PASSWORD);
    await Promise.all([page.waitForResponse((response) => response.request().method() === 'POST'), page.click('#submit')]);
    await page.getByText('Your password is changed').first().waitFor();
    expect((await logIn('noscript-short@example.com', NEW_PASSWORD)).status).toBe(200);
  });
});
