import { CommandBus } from '@nestjs/cqrs';
import { SendPasswordChangedNotice, SendPasswordResetEmail } from '@herald/notifications';
import { IssuePasswordResetTokenCommand, PasswordResetRequested, RegisterUserCommand, RequestPasswordResetCommand } from '@herald/users';
import { createApiHarness, type ApiHarness } from '../../../test/support/api-harness.js';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase here';

/** The password flows over HTTP (in process, real Postgres + Redis); the emails are the worker's (see e2e). */
describe('Password reset and change API (in process, real Postgres + Redis)', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await createApiHarness({ env: { RATE_LIMIT_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await api.close();
  });

  const expectProblem = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status, code });
  };

  /** An account (registered, its request resolved as the worker does), verified unless asked otherwise, and its id. */
  async function account(email: string, { verified = true } = {}): Promise<string> {
    await api.app.get(CommandBus).execute(new RegisterUserCommand(email, PASSWORD));
    await api.settled();
    const [row] = await api.db.query<{ id: string }>(
      `UPDATE users SET email_verified_at = CASE WHEN $2 THEN now() END WHERE email = $1 RETURNING id`,
      [email, verified],
    );
    return row!.id;
  }

  /** Asks for a reset as the API does, resolved as the worker does; returns the request (its PasswordResetRequested event id). */
  async function requestReset(userId: string): Promise<string> {
    const [user] = await api.db.query<{ email: string }>(`SELECT email FROM users WHERE id = $1`, [userId]);
    await api.app.get(CommandBus).execute(new RequestPasswordResetCommand(user!.email));
    await api.settled();
    const [event] = await api.db.query<{ id: string }>(
      `SELECT id FROM outbox WHERE aggregate_id = $1 AND event_type = $2 ORDER BY id DESC LIMIT 1`,
      [userId, PasswordResetRequested.eventType],
    );
    return event!.id;
  }

  /** What the reset email's job mints for a request: a token, or null (nothing to send). */
  const mintFor = async (userId: string, request: string) =>
    api.app.get(CommandBus).execute(new IssuePasswordResetTokenCommand(userId, request));

  /** A reset token as the reset email carries it: a fresh request, minted as the worker's job mints it. */
  const resetToken = async (userId: string) => (await mintFor(userId, await requestReset(userId)))!.token;

  const logIn = (email: string, password: string) => api.post('/auth/login', { email, password });
  const accessToken = async (email: string, password: string) =>
    ((await (await logIn(email, password)).json()) as { accessToken: string }).accessToken;
  const me = (token: string) => api.get('/users/me', { authorization: `Bearer ${token}` });

  describe('POST /auth/password-reset', () => {
    it('answers 202 with the same body whether or not the account exists, and raises a reset request only for an account', async () => {
      const userId = await account('reset-me@example.com');
      const known = await api.post('/auth/password-reset', { email: ' Reset-Me@Example.com' });
      const unknown = await api.post('/auth/password-reset', { email: 'nobody@example.com' });
      await api.settled(); // the worker resolves both requests: only the account's raises PasswordResetRequested

      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(await unknown.json()).toEqual(await known.json());
      const events = await api.db.query<{ aggregate_id: string }>(`SELECT aggregate_id FROM outbox WHERE event_type = $1`, [
        PasswordResetRequested.eventType,
      ]);
      expect(events).toEqual([{ aggregate_id: userId }]);
      const jobs = await api.emailQueue.getJobs(['waiting', 'active', 'completed', 'delayed']);
      expect(jobs.filter((job) => job.name === SendPasswordResetEmail.name).map((job) => job.data.userId)).toEqual([userId]);
    });

    it('answers 400 VALIDATION_FAILED for a malformed address', async () => {
      await expectProblem(await api.post('/auth/password-reset', { email: 'not an address' }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /auth/password-reset/confirm', () => {
    it('sets the new password: the old one fails, the new one works, and tokens issued before are refused', async () => {
      const userId = await account('forgetful@example.com');
      const before = await accessToken('forgetful@example.com', PASSWORD);
      expect((await me(before)).status).toBe(200);

      const response = await api.post('/auth/password-reset/confirm', { token: await resetToken(userId), newPassword: NEW_PASSWORD });

      expect(response.status).toBe(204);
      await api.settled();
      const notices = await api.emailQueue.getJobs(['waiting', 'active', 'completed', 'delayed']);
      expect(notices.filter((job) => job.name === SendPasswordChangedNotice.name).map((job) => job.data.userId)).toEqual([userId]);
      await expectProblem(await logIn('forgetful@example.com', PASSWORD), 401, 'INVALID_CREDENTIALS');
      expect((await logIn('forgetful@example.com', NEW_PASSWORD)).status).toBe(200);
      await expectProblem(await me(before), 401, 'UNAUTHENTICATED');
      expect((await me(await accessToken('forgetful@example.com', NEW_PASSWORD))).status).toBe(200);
    });

    it('refuses a token used once already', async () => {
      const token = await resetToken(await account('twice-reset@example.com'));
      expect((await api.post('/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD })).status).toBe(204);
      await expectProblem(
        await api.post('/auth/password-reset/confirm', { token, newPassword: `${NEW_PASSWORD}!` }),
        400,
        'INVALID_RESET_TOKEN',
      );
    });

    it('refuses a token replaced by a newer one, and one that expired', async () => {
      const userId = await account('replaced@example.com');
      const older = await resetToken(userId);
      const newer = await resetToken(userId);
      await expectProblem(
        await api.post('/auth/password-reset/confirm', { token: older, newPassword: NEW_PASSWORD }),
        400,
        'INVALID_RESET_TOKEN',
      );

      await api.db.query(`UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
      await expectProblem(
        await api.post('/auth/password-reset/confirm', { token: newer, newPassword: NEW_PASSWORD }),
        400,
        'INVALID_RESET_TOKEN',
      );
      expect((await logIn('replaced@example.com', PASSWORD)).status).toBe(200); // nothing changed
    });

    it('refuses unknown and tampered tokens alike', async () => {
      const token = await resetToken(await account('tampered@example.com'));
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      for (const bad of [tampered, 'AAAAAAAAAAAAAAAA.' + 'A'.repeat(43), 'not-a-token']) {
        await expectProblem(
          await api.post('/auth/password-reset/confirm', { token: bad, newPassword: NEW_PASSWORD }),
          400,
          'INVALID_RESET_TOKEN',
        );
      }
    });

    it('verifies an unverified address: the emailed link proved the mailbox, so log-in works (observation a)', async () => {
      const userId = await account('unverified-reset@example.com', { verified: false });
      await expectProblem(await logIn('unverified-reset@example.com', PASSWORD), 403, 'EMAIL_NOT_VERIFIED');

      const response = await api.post('/auth/password-reset/confirm', { token: await resetToken(userId), newPassword: NEW_PASSWORD });

      expect(response.status).toBe(204);
      expect((await logIn('unverified-reset@example.com', NEW_PASSWORD)).status).toBe(200);
      const [user] = await api.db.query<{ verified: boolean }>(
        `SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1`,
        [userId],
      );
      expect(user).toEqual({ verified: true });
      const events = await api.db.query<{ event_type: string }>(
        `SELECT event_type FROM outbox WHERE aggregate_id = $1 AND event_type = 'users.EmailVerified'`,
        [userId],
      );
      expect(events).toHaveLength(1); // as verification raises it: the welcome mail follows
      const openVerificationLinks = await api.db.query(
        `SELECT 1 FROM email_verification_tokens WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL`,
        [userId],
      );
      expect(openVerificationLinks).toEqual([]);
    });

    it('mints no link for a request made before a password change, even when the mail goes out after it (observation b)', async () => {
      const userId = await account('change-then-mint@example.com');
      const request = await requestReset(userId); // its email job has not run yet
      const token = await accessToken('change-then-mint@example.com', PASSWORD);
      const changed = await api.post(
        '/users/me/password',
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        { authorization: `Bearer ${token}` },
      );
      expect(changed.status).toBe(204);

      expect(await mintFor(userId, request)).toBeNull();
      expect(await api.db.query(`SELECT 1 FROM password_reset_tokens WHERE user_id = $1`, [userId])).toEqual([]);
      // A request made after the change is open.
      expect(await mintFor(userId, await requestReset(userId))).toMatchObject({ token: expect.any(String) });
    });

    it('applies the password policy before looking at the token', async () => {
      const token = await resetToken(await account('weak-reset@example.com'));
      await expectProblem(await api.post('/auth/password-reset/confirm', { token, newPassword: 'short' }), 400, 'VALIDATION_FAILED');
      expect((await api.post('/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD })).status).toBe(204); // still usable
    });
  });

  describe('POST /users/me/password', () => {
    it('changes the password of the signed-in user and refuses every token issued before', async () => {
      const userId = await account('changer@example.com');
      const openResetLink = await resetToken(userId);
      const token = await accessToken('changer@example.com', PASSWORD);

      const response = await api.post(
        '/users/me/password',
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        { authorization: `Bearer ${token}` },
      );

      expect(response.status).toBe(204);
      await expectProblem(await me(token), 401, 'UNAUTHENTICATED');
      await expectProblem(await logIn('changer@example.com', PASSWORD), 401, 'INVALID_CREDENTIALS');
      expect((await logIn('changer@example.com', NEW_PASSWORD)).status).toBe(200);
      // A reset link sent before the change no longer works.
      await expectProblem(
        await api.post('/auth/password-reset/confirm', { token: openResetLink, newPassword: `${NEW_PASSWORD}?` }),
        400,
        'INVALID_RESET_TOKEN',
      );
    });

    it('answers 401 INVALID_CURRENT_PASSWORD for a wrong current password and changes nothing', async () => {
      await account('wrong-current@example.com');
      const token = await accessToken('wrong-current@example.com', PASSWORD);
      const response = await api.post(
        '/users/me/password',
        { currentPassword: 'not my password at all', newPassword: NEW_PASSWORD },
        { authorization: `Bearer ${token}` },
      );

      await expectProblem(response, 401, 'INVALID_CURRENT_PASSWORD');
      expect((await me(token)).status).toBe(200);
      expect((await logIn('wrong-current@example.com', PASSWORD)).status).toBe(200);
    });

    it('answers 400 for a new password the policy refuses, and 401 without a valid token', async () => {
      await account('policy@example.com');
      const token = await accessToken('policy@example.com', PASSWORD);
      await expectProblem(
        await api.post('/users/me/password', { currentPassword: PASSWORD, newPassword: 'short' }, { authorization: `Bearer ${token}` }),
        400,
        'VALIDATION_FAILED',
      );
      await expectProblem(
        await api.post('/users/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
        401,
        'UNAUTHENTICATED',
      );
    });
  });

  describe('GET /reset-password', () => {
    it('serves the page behind the emailed link and changes nothing', async () => {
      const userId = await account('page@example.com');
      const token = await resetToken(userId);
      const page = await api.get(`/reset-password?token=${encodeURIComponent(token)}`);

      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      expect(html).toContain('/auth/password-reset/confirm');
      // Without JavaScript the form POSTs to its own page, the token in a hidden field (issue 19, item 7).
      expect(html).toContain('<form id="reset" method="post" action="/reset-password">');
      expect(html).toContain(`<input type="hidden" name="token" value="${token}">`);
      expect(await api.db.query(`SELECT used_at FROM password_reset_tokens WHERE user_id = $1`, [userId])).toEqual([{ used_at: null }]);
    });

    it('escapes whatever the link carries into the hidden field', async () => {
      const html = await (await api.get(`/reset-password?token=${encodeURIComponent('"><script>alert(1)</script>')}`)).text();

      expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
      expect(html).not.toContain('<script>alert(1)');
    });
  });

  describe('POST /reset-password (the form without JavaScript)', () => {
    const submit = (fields: Record<string, string>, contentType = 'application/x-www-form-urlencoded') =>
      fetch(`${api.baseUrl}/reset-password`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: contentType.includes('json') ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
      });
    const usedAt = async (userId: string) =>
      (await api.db.query<{ used_at: Date | null }>(`SELECT used_at FROM password_reset_tokens WHERE user_id = $1`, [userId]))[0]!.used_at;

    it('sets the new password and answers a page that says so', async () => {
      const userId = await account('form@example.com');
      const token = await resetToken(userId);

      const response = await submit({ token, newPassword: NEW_PASSWORD });

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).toContain('Your password is changed. You can sign in with it now.');
      expect(await usedAt(userId)).not.toBeNull();
      expect((await logIn('form@example.com', NEW_PASSWORD)).status).toBe(200);
      expect((await logIn('form@example.com', PASSWORD)).status).toBe(401);
    });

    it("shows the form again with the policy's words for a password it refuses, the link still good", async () => {
      const userId = await account('form-short@example.com');
      const token = await resetToken(userId);

      const response = await submit({ token, newPassword: 'too short' });

      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain('The password must have at least 12 characters.');
      expect(html).toContain(`<input type="hidden" name="token" value="${token}">`);
      expect(html).not.toContain('too short');
      expect(await usedAt(userId)).toBeNull();
    });

    it.each([
      [
        'a used token',
        async () => {
          const token = await resetToken(await account('form-used@example.com'));
          expect((await submit({ token, newPassword: NEW_PASSWORD })).status).toBe(200);
          return { token, newPassword: NEW_PASSWORD };
        },
      ],
      ['an unknown token', async () => ({ token: 'nope.nope', newPassword: NEW_PASSWORD })],
      ['no token', async () => ({ newPassword: NEW_PASSWORD })],
    ])('answers %s with the dead-link page (400)', async (_, fields) => {
      const response = await submit(await fields());

      expect(response.status).toBe(400);
      expect(await response.text()).toContain('The password reset link is invalid, already used, replaced or expired.');
    });

    it('takes only a form body (415 for JSON, which has its own route)', async () => {
      const userId = await account('form-json@example.com');
      const response = await submit({ token: await resetToken(userId), newPassword: NEW_PASSWORD }, 'application/json');

      expect(response.status).toBe(415);
      expect(await usedAt(userId)).toBeNull();
    });
  });
});

describe('Password reset rate limits', () => {
  it('refuses a fourth reset request for one address within the hour (mail bombing)', async () => {
    const api = await createApiHarness();
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await api.post('/auth/password-reset', { email: 'bombed@example.com' })).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
    } finally {
      await api.close();
    }
  });
});
