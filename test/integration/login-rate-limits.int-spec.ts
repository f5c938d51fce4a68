import { LOGIN_LIMITS } from '../../apps/api/src/auth/login-throttle.js';
import { RATE_LIMITS, type LoginLimits } from '../../apps/api/src/http/rate-limit.js';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { withRedis } from '../support/pipeline-harness.js';
import { deleteKeysWithPrefix, keysWithPrefix } from '../support/test-redis.js';

const PASSWORD = 'the owner knows this passphrase';
const WRONG = 'a stranger guesses this one';

/** Every request of these tests comes through a loopback "proxy" (the default TRUST_PROXY) naming its client. */
const logIn = (api: ApiHarness, email: string, password: string, client: string) =>
  api.post('/auth/login', { email, password }, { 'x-forwarded-for': client });

const timed = async (request: Promise<Response>) => {
  const started = performance.now();
  const response = await request;
  return { response, ms: performance.now() - started };
};

async function expectTooManyRequests(response: Response): Promise<number> {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await response.json()).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
  return Number(response.headers.get('retry-after'));
}

/** Registers an account and marks its address verified, so the right password gets a token. */
async function createAccount(api: ApiHarness, email: string, verified = true): Promise<void> {
  expect((await api.post('/users', { email, password: PASSWORD })).status).toBe(202);
  await api.settled();
  if (verified) await api.db.query(`UPDATE users SET email_verified_at = now() WHERE email = $1`, [email]);
}

/** Each test starts with no failure counted anywhere. */
const forgetCounters = (api: ApiHarness) => withRedis((redis) => deleteKeysWithPrefix(redis, `${api.config.redis.queuePrefix}:rl`));

describe('Log-in rate limits (in process, real Postgres + Redis)', () => {
  describe('with the production limits', () => {
    const { perEmailAndAddress } = RATE_LIMITS.login;
    let api: ApiHarness;

    beforeAll(async () => {
      api = await createApiHarness();
      await createAccount(api, 'owner@example.com');
      await createAccount(api, 'unverified@example.com', false);
    });
    afterEach(async () => {
      await forgetCounters(api);
    });
    afterAll(async () => {
      await api.close();
    });

    it(`refuses an address with 429 and Retry-After after ${perEmailAndAddress.points} wrong passwords for one account`, async () => {
      for (let i = 0; i < perEmailAndAddress.points; i++) {
        expect((await logIn(api, 'owner@example.com', WRONG, '198.51.100.1')).status).toBe(401);
      }

      const retryAfter = await expectTooManyRequests(await logIn(api, 'owner@example.com', WRONG, '198.51.100.1'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(perEmailAndAddress.durationSeconds);
      // Refused before the password is checked: the right one does not get through from there either.
      await expectTooManyRequests(await logIn(api, 'owner@example.com', PASSWORD, '198.51.100.1'));
    });

    it('lets the owner in from another address with the right password while a stranger is refused', async () => {
      for (let i = 0; i < perEmailAndAddress.points; i++) await logIn(api, 'Owner@Example.com ', WRONG, '198.51.100.1');
      await expectTooManyRequests(await logIn(api, 'owner@example.com', WRONG, '198.51.100.1'));

      const owner = await logIn(api, 'owner@example.com', PASSWORD, '203.0.113.5');
      expect(owner.status).toBe(200);
      expect(await owner.json()).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer' });
      // A wrong guess from the owner's address is still just a wrong guess.
      expect((await logIn(api, 'owner@example.com', WRONG, '203.0.113.5')).status).toBe(401);
    });

    it('starts the count of an address over after the right password from there', async () => {
      const almost = perEmailAndAddress.points - 1;
      for (let i = 0; i < almost; i++) expect((await logIn(api, 'owner@example.com', WRONG, '198.51.100.2')).status).toBe(401);
      expect((await logIn(api, 'owner@example.com', PASSWORD, '198.51.100.2')).status).toBe(200);

      for (let i = 0; i < almost; i++) expect((await logIn(api, 'owner@example.com', WRONG, '198.51.100.2')).status).toBe(401);
      expect((await logIn(api, 'owner@example.com', PASSWORD, '198.51.100.2')).status).toBe(200);
    });

    it('never counts the right password of an unverified account as a failure', async () => {
      for (let i = 0; i < perEmailAndAddress.points + 2; i++) {
        const response = await logIn(api, 'unverified@example.com', PASSWORD, '198.51.100.3');
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({ code: 'EMAIL_NOT_VERIFIED' });
      }
    });

    it('counts an unknown email like a wrong password', async () => {
      for (let i = 0; i < perEmailAndAddress.points; i++) {
        expect((await logIn(api, 'nobody@example.com', PASSWORD, '198.51.100.4')).status).toBe(401);
      }
      await expectTooManyRequests(await logIn(api, 'nobody@example.com', PASSWORD, '198.51.100.4'));
    });

    it('writes no email address into a Redis key', async () => {
      await logIn(api, 'owner@example.com', WRONG, '198.51.100.5');
      const keys = await withRedis((redis) => keysWithPrefix(redis, `${api.config.redis.queuePrefix}:rl`));

      expect(keys.filter((key) => key.includes(':login:'))).toHaveLength(3);
      expect(keys.filter((key) => /owner|example\.com|@/i.test(key))).toEqual([]);
    });
  });

  describe('with small limits (a test-only override of RATE_LIMITS.login)', () => {
    const limits: LoginLimits = {
      perEmailAndAddress: { points: 3, durationSeconds: 900 },
      perAddress: { points: 5, durationSeconds: 3600 },
      perEmail: { points: 4, durationSeconds: 3600, slowdownMs: 1000 },
    };
    let api: ApiHarness;

    beforeAll(async () => {
      api = await createApiHarness({ overrides: [{ provide: LOGIN_LIMITS, useValue: limits }] });
      await createAccount(api, 'owner@example.com');
    });
    afterEach(async () => {
      await forgetCounters(api);
    });
    afterAll(async () => {
      await api.close();
    });

    it('refuses an address that failed for many accounts (password spraying), and only that address', async () => {
      for (let i = 0; i < limits.perAddress.points; i++) {
        expect((await logIn(api, `sprayed-${i}@example.com`, WRONG, '198.51.100.10')).status).toBe(401);
      }

      await expectTooManyRequests(await logIn(api, 'sprayed-next@example.com', WRONG, '198.51.100.10'));
      await expectTooManyRequests(await logIn(api, 'owner@example.com', PASSWORD, '198.51.100.10'));
      expect((await logIn(api, 'sprayed-next@example.com', WRONG, '198.51.100.11')).status).toBe(401);
      expect((await logIn(api, 'owner@example.com', PASSWORD, '198.51.100.11')).status).toBe(200);
    });

    it('slows, but never refuses, attempts on an account that failed from many addresses', async () => {
      // Below the ceiling: one wrong password from each of 4 addresses, none of them slowed.
      for (let i = 1; i <= limits.perEmail.points; i++) {
        const { response, ms } = await timed(logIn(api, 'owner@example.com', WRONG, `192.0.2.${i}`));
        expect(response.status).toBe(401);
        expect(ms).toBeLessThan(limits.perEmail.slowdownMs);
      }

      // Above it: every attempt for the account waits first, from anywhere, and none is refused.
      const strangers = await Promise.all(
        [11, 12, 13, 14, 15, 16].map((host) => timed(logIn(api, 'owner@example.com', WRONG, `192.0.2.${host}`))),
      );
      for (const { response, ms } of strangers) {
        expect(response.status).toBe(401);
        expect(ms).toBeGreaterThanOrEqual(limits.perEmail.slowdownMs - 5);
      }
      const owner = await timed(logIn(api, 'owner@example.com', PASSWORD, '203.0.113.7'));
      expect(owner.response.status).toBe(200);
      expect(owner.ms).toBeGreaterThanOrEqual(limits.perEmail.slowdownMs - 5);

      // Other accounts are not slowed.
      const other = await timed(logIn(api, 'someone-else@example.com', WRONG, '203.0.113.8'));
      expect(other.response.status).toBe(401);
      expect(other.ms).toBeLessThan(limits.perEmail.slowdownMs);

      const metrics = await (await api.get('/metrics')).text();
      const slowed = /herald_rate_limited_total\{policy="login",limit="email",action="slowed"\} (\d+)/.exec(metrics)?.[1];
      expect(Number(slowed)).toBeGreaterThanOrEqual(strangers.length + 1);
    });
  });
});
