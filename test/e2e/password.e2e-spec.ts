import type { Browser } from 'playwright-core';
import { SendPasswordChangedNotice, SendPasswordResetEmail, SendVerificationEmail } from '@herald/notifications';
import { bearer } from '../support/api-client/index.js';
import { launchChromium } from '../support/browser.js';
import { tokenFromMail } from '../support/smtp-sink.js';
import { Stack } from '../support/stack.js';

const PASSWORD = 'a long and lovely passphrase';
const NEW_PASSWORD = 'an even longer and lovelier passphrase';
/** The mail kind of the "your password was changed" notice (its job's name). */
const PASSWORD_CHANGED_NOTICE = SendPasswordChangedNotice.name;

/** Password reset and change end to end: built API and worker, real Postgres, Redis and SMTP, a real browser. */
describe('Password reset and change end to end', () => {
  const stack = new Stack();
  let browser: Browser;

  beforeAll(async () => {
    await stack.start();
    await stack.worker().startAndWaitReady();
    await stack.api().startAndWaitReady();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  });

  /** Registers and verifies an account through its real verification email. */
  async function verifiedAccount(email: string): Promise<void> {
    expect((await stack.client.POST('/users', { body: { email, password: PASSWORD } })).response.status).toBe(202);
    const [mail] = await stack.smtp.waitForMail(email, SendVerificationEmail.name);
    expect((await stack.client.POST('/users/verify-email', { body: { token: tokenFromMail(mail!) } })).response.status).toBe(200);
  }

  const logIn = async (email: string, password: string) => (await stack.client.POST('/auth/login', { body: { email, password } })).response;
  const accessToken = async (email: string, password: string) =>
    (await stack.client.POST('/auth/login', { body: { email, password } })).data!.accessToken;
  const me = async (token: string) => (await stack.client.GET('/users/me', { headers: bearer(token) })).response;
  const requestReset = async (email: string) => (await stack.client.POST('/auth/password-reset', { body: { email } })).response;
  const confirmReset = (token: string, newPassword: string) =>
    stack.client.POST('/auth/password-reset/confirm', { body: { token, newPassword } });

  it('mails a reset link whose page sets the new password in a browser; the old password and tokens stop working', async () => {
    await verifiedAccount('grace@example.com');
    const before = await accessToken('grace@example.com', PASSWORD);

    expect((await requestReset('grace@example.com')).status).toBe(202);
    const [mail] = await stack.smtp.waitForMail('grace@example.com', SendPasswordResetEmail.name);
    expect(mail!.text).toMatch(/http:\/\/herald\.test\/reset-password\?token=/);
    const token = tokenFromMail(mail!);

    // The link's page, as the person opens it (APP_BASE_URL points elsewhere in tests: same path on this API).
    const page = await browser.newPage();
    try {
      await page.goto(`${stack.apiUrl}/reset-password?token=${encodeURIComponent(token)}`);
      await page.fill('#password', NEW_PASSWORD);
      await page.click('#submit');
      await page.getByText('Your password is changed').waitFor();
    } finally {
      await page.close();
    }

    expect((await logIn('grace@example.com', PASSWORD)).status).toBe(401);
    expect((await logIn('grace@example.com', NEW_PASSWORD)).status).toBe(200);
    expect((await me(before)).status).toBe(401);
    const reuse = await confirmReset(token, PASSWORD);
    expect(reuse.error).toMatchObject({ status: 400, code: 'INVALID_RESET_TOKEN' });
    const [notice] = await stack.smtp.waitForMail('grace@example.com', PASSWORD_CHANGED_NOTICE);
    expect(notice!.subject).toBe('Your password was changed');
  });

  it('mails a reset link only to an existing account, and a newer link replaces the older', async () => {
    await verifiedAccount('katherine@example.com');
    expect((await requestReset('no-account@example.com')).status).toBe(202);
    for (let i = 1; i <= 2; i++) {
      expect((await requestReset('katherine@example.com')).status).toBe(202);
      await stack.smtp.waitForMail('katherine@example.com', SendPasswordResetEmail.name, i);
    }
    const mails = stack.smtp.to('katherine@example.com', SendPasswordResetEmail.name);

    const older = await confirmReset(tokenFromMail(mails[0]!), NEW_PASSWORD);
    expect(older.error).toMatchObject({ status: 400, code: 'INVALID_RESET_TOKEN' });
    expect((await confirmReset(tokenFromMail(mails[1]!), NEW_PASSWORD)).response.status).toBe(204);
    expect(stack.smtp.to('no-account@example.com')).toEqual([]);
  });

  it('changes the password of a signed-in user', async () => {
    await verifiedAccount('margaret@example.com');
    const token = await accessToken('margaret@example.com', PASSWORD);
    const change = await stack.client.POST('/users/me/password', {
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      headers: bearer(token),
    });

    expect(change.response.status).toBe(204);
    expect((await me(token)).status).toBe(401);
    expect((await logIn('margaret@example.com', NEW_PASSWORD)).status).toBe(200);
    await stack.smtp.waitForMail('margaret@example.com', PASSWORD_CHANGED_NOTICE);
    expect(stack.smtp.to('margaret@example.com', PASSWORD_CHANGED_NOTICE)).toHaveLength(1);
  });
});
