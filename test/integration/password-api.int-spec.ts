import { CommandBus } from '@nestjs/cqrs';
import { SendPasswordResetEmail } from '@herald/notifications';
import { IssuePasswordResetTokenCommand, PasswordResetRequested, RegisterUserCommand } from '@herald/users';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';

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

  /** A verified account, and its id. */
  async function account(email: string): Promise<string> {
    await api.app.get(CommandBus).execute(new RegisterUserCommand(email, PASSWORD));
    const [row] = await api.db.query<{ id: string }>(`UPDATE users SET email_verified_at = now() WHERE email = $1 RETURNING id`, [email]);
    return row!.id;
  }

  /** A reset token as the reset email carries it (the worker's job mints it the same way). */
  const resetToken = async (userId: string) => (await api.app.get(CommandBus).execute(new IssuePasswordResetTokenCommand(userId)))!.token;

  const logIn = (email: string, password: string) => api.post('/auth/login', { email, password });
  const accessToken = async (email: string, password: string) =>
    ((await (await logIn(email, password)).json()) as { accessToken: string }).accessToken;
  const me = (token: string) => api.get('/users/me', { authorization: `Bearer ${token}` });

  describe('POST /auth/password-reset', () => {
    it('answers 202 with the same body whether or not the account exists, and records a request only for an account', async () => {
      const userId = await account('reset-me@example.com');
      const known = await api.post('/auth/password-reset', { email: ' Reset-Me@Example.com' });
      const unknown = await api.post('/auth/password-reset', { email: 'nobody@example.com' });
      await api.settled();

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
      expect(notices.filter((job) => job.name === 'send-password-changed-notice').map((job) => job.data.userId)).toEqual([userId]);
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
      expect(await page.text()).toContain('/auth/password-reset/confirm');
      expect(await api.db.query(`SELECT used_at FROM password_reset_tokens WHERE user_id = $1`, [userId])).toEqual([{ used_at: null }]);
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
