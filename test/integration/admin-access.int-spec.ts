import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { withRedis } from '../support/pipeline-harness.js';

// Issue 19, items 5 and 6: /admin/* (Bull Board and the outbox console) throttles wrong credentials per
// client address, counts them in a metric, and refuses cross-site writes whatever the method and body type.

const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password', ADMIN_READ_ONLY: 'false' };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const AUTH = basic(ADMIN.ADMIN_USER, ADMIN.ADMIN_PASSWORD);
const WRONG = basic(ADMIN.ADMIN_USER, 'not-the-admin-password');

/** A counter's value on GET /metrics, 0 when absent. */
async function counter(api: ApiHarness, series: string): Promise<number> {
  const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

const FAILURES = (area: string) => `herald_admin_auth_failures_total{area="${area}"}`;

describe('/admin/* access (in-process API, real Redis)', () => {
  describe('wrong credentials, with rate limits on', () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await createApiHarness({ env: ADMIN });
    });
    afterAll(async () => {
      await api.close();
    });

    it('throttles an address after 10 wrong passwords: 429 with Retry-After, the right password too, and counts them', async () => {
      // A browser's first request carries no credentials: asking is not guessing, and is not counted.
      for (let i = 0; i < 12; i++) expect((await fetch(`${api.baseUrl}/admin/queues/api/queues`)).status).toBe(401);
      expect((await fetch(`${api.baseUrl}/admin/queues/api/queues`, { headers: AUTH })).status).toBe(200);
      expect(await counter(api, FAILURES('queues'))).toBe(0);

      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await fetch(`${api.baseUrl}/admin/queues/api/queues`, { headers: WRONG })).status);
      expect(statuses).toEqual(Array(10).fill(401));
      expect(await counter(api, FAILURES('queues'))).toBe(10);

      const throttled = await fetch(`${api.baseUrl}/admin/queues/api/queues`, { headers: WRONG });
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const retryAfter = Number(throttled.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(await throttled.json()).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });

      // The right password is refused while the address is throttled (else the throttle would only tell a guesser
      // which guess was right), on every admin area: one counter per address.
      const right = await fetch(`${api.baseUrl}/admin/queues/api/queues`, { headers: AUTH });
      expect(right.status).toBe(429);
      expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await fetch(`${api.baseUrl}/admin/outbox`, { headers: AUTH })).status).toBe(429);

      // Refused before the password is checked: the 429s are not failures, but are counted as refusals.
      expect(await counter(api, FAILURES('queues'))).toBe(10);
      expect(await counter(api, 'herald_rate_limited_total{policy="admin",limit="ip",action="refused"}')).toBe(3);
      // The counter lives in Redis under the queue prefix, keyed by address, never by a credential.
      expect(await withRedis((redis) => redis.exists(`${api.config.redis.queuePrefix}:rl:admin:ip:127.0.0.1`))).toBe(1);
    });
  });

  describe('wrong credentials, with RATE_LIMIT_ENABLED=false', () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await createApiHarness({ env: { ...ADMIN, RATE_LIMIT_ENABLED: 'false' } });
    });
    afterAll(async () => {
      await api.close();
    });

    it('refuses nothing beyond the 401s (a limiting gateway in front), and still counts the failures', async () => {
      for (let i = 0; i < 12; i++) expect((await fetch(`${api.baseUrl}/admin/outbox`, { headers: WRONG })).status).toBe(401);
      expect((await fetch(`${api.baseUrl}/admin/outbox`, { headers: AUTH })).status).toBe(200);
      expect(await counter(api, FAILURES('outbox'))).toBe(12);
    });
  });

  describe('writes on a writable board', () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await createApiHarness({ env: ADMIN });
    });
    afterAll(async () => {
      await api.close();
    });

    const addJob = (headers: Record<string, string>, body: string) =>
      fetch(`${api.baseUrl}/admin/queues/api/queues/email/add`, { method: 'POST', headers: { ...AUTH, ...headers }, body });
    const jobCount = async () => Object.values(await api.emailQueue.getJobCounts()).reduce((sum, n) => sum + n, 0);

    it.each([
      ['a foreign form (text/plain, Sec-Fetch-Site: cross-site)', { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' }],
      ['an older browser (text/plain, a foreign Origin)', { 'content-type': 'text/plain', origin: 'https://evil.example' }],
      ['a foreign page with JSON (Sec-Fetch-Site: same-site)', { 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }],
      ['a request naming no origin at all', { 'content-type': 'application/json' }],
    ])('refuses %s with the right credentials: 403 problem+json, no job added', async (_, headers) => {
      const before = await jobCount();

      const response = await addJob(headers, JSON.stringify({ name: 'send-welcome-email', data: { userId: 'x' } }));

      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ status: 403, code: 'CROSS_SITE_WRITE' });
      expect(await jobCount()).toBe(before);
    });

    it('refuses cross-site writes of every method, the outbox console included', async () => {
      const foreign = { ...AUTH, 'sec-fetch-site': 'cross-site' };
      expect((await fetch(`${api.baseUrl}/admin/queues/api/queues/email/pause`, { method: 'PUT', headers: foreign })).status).toBe(403);
      expect(await api.emailQueue.isPaused()).toBe(false);
      expect(
        (await fetch(`${api.baseUrl}/admin/queues/api/queues/email/clean/completed`, { method: 'PUT', headers: foreign })).status,
      ).toBe(403);
      const requeue = await fetch(`${api.baseUrl}/admin/outbox/requeue`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...foreign, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'all=dead',
      });
      expect(requeue.status).toBe(403);
    });

    it('allows a same-origin write (the board itself), and reads from anywhere with credentials', async () => {
      const before = await jobCount();

      const response = await addJob(
        { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', origin: api.baseUrl },
        JSON.stringify({ name: 'board-test-job', data: { userId: 'board-test' } }),
      );

      expect(response.status).toBe(200);
      expect(await jobCount()).toBe(before + 1);
      const byOrigin = await addJob(
        { 'content-type': 'application/json', origin: api.baseUrl },
        JSON.stringify({ name: 'board-test-job', data: { userId: 'board-test-2' } }),
      );
      expect(byOrigin.status).toBe(200);
      expect(await jobCount()).toBe(before + 2);
      expect((await fetch(`${api.baseUrl}/admin/queues/api/queues`, { headers: { ...AUTH, 'sec-fetch-site': 'cross-site' } })).status).toBe(
        200,
      );
    });
  });
});
