import { createApiHarness, type ApiHarness } from '../support/api-harness.js';

const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password' };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const AUTH = basic(ADMIN.ADMIN_USER, ADMIN.ADMIN_PASSWORD);

describe('Bull Board at /admin/queues', () => {
  describe('with credentials, read-only', () => {
    let api: ApiHarness;
    let staticAsset: string;

    beforeAll(async () => {
      api = await createApiHarness({ env: { ...ADMIN, ADMIN_READ_ONLY: 'true' } });
      const page = await (await api.get('/admin/queues', AUTH)).text();
      // Assets are linked relative to <base href="/admin/queues/">.
      staticAsset = `/admin/queues/${/"(static\/[^"']+\.css)"/.exec(page)![1]!}`;
    });
    afterAll(async () => {
      await api.close();
    });

    it.each([
      ['the UI', () => '/admin/queues'],
      ['a static asset', () => staticAsset],
      ['its API', () => '/admin/queues/api/queues'],
    ])('refuses %s without credentials with 401 and a Basic challenge', async (_, path) => {
      const response = await api.get(path());
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    });

    it('refuses wrong credentials', async () => {
      expect((await api.get('/admin/queues/api/queues', basic('operator', 'wrong-password-123'))).status).toBe(401);
      expect((await api.get('/admin/queues/api/queues', basic('someone', ADMIN.ADMIN_PASSWORD))).status).toBe(401);
      expect((await api.get('/admin/queues/api/queues', { authorization: 'Bearer x' })).status).toBe(401);
    });

    it('serves the UI, its assets and every queue of the job registry with the right credentials', async () => {
      expect((await api.get('/admin/queues', AUTH)).status).toBe(200);
      expect((await api.get(staticAsset, AUTH)).status).toBe(200);
      const response = await api.get('/admin/queues/api/queues', AUTH);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
      expect(body.queues.map((queue) => queue.name)).toEqual(['accounts', 'email', 'maintenance']);
      expect(body.queues.every((queue) => queue.readOnlyMode)).toBe(true);
    });

    it('answers 405 to write actions', async () => {
      const response = await fetch(`${api.baseUrl}/admin/queues/api/queues/email/pause`, { method: 'PUT', headers: AUTH });
      expect(response.status).toBe(405);
      expect(await api.emailQueue.isPaused()).toBe(false);
    });

    it('shows job data without any address, password or token', async () => {
      const password = 'a secret long passphrase';
      await api.post('/users', { email: 'board@example.com', password });
      await api.settled();
      const response = await api.get('/admin/queues/api/queues?activeQueue=email&status=waiting&page=1&jobsPerPage=50', AUTH);
      const text = await response.text();
      expect(text).toContain('send-verification-email');
      expect(text).not.toContain('board@example.com');
      expect(text).not.toContain(password);
      expect(text).not.toMatch(/"token"|verifier/i);
    });
  });

  describe('without credentials', () => {
    it('is not mounted at all', async () => {
      const api = await createApiHarness();
      try {
        expect((await api.get('/admin/queues')).status).toBe(404);
        expect((await api.get('/admin/queues/api/queues')).status).toBe(404);
      } finally {
        await api.close();
      }
    });
  });
});
