import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { LOGIN_LIMITS } from '../../apps/api/src/auth/login-throttle.js';
import type { LoginLimits } from '../../apps/api/src/http/rate-limit.js';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { withRedis } from '../support/pipeline-harness.js';
import { deleteKeysWithPrefix } from '../support/test-redis.js';

/** Two failed log-ins per client address, then 429: enough to see whose address the API counts. */
const limits: LoginLimits = {
  perEmailAndAddress: { points: 10, durationSeconds: 900 },
  perAddress: { points: 2, durationSeconds: 3600 },
  perEmail: { points: 100, durationSeconds: 3600, slowdownMs: 1000 },
};

const harness = (trustProxy?: string) =>
  createApiHarness({
    env: trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy },
    overrides: [{ provide: LOGIN_LIMITS, useValue: limits }],
  });

/** A failed log-in for a fresh account, sent with this X-Forwarded-For; returns the status. */
const failedLogIn = async (api: ApiHarness, forwardedFor: string) =>
  (
    await api.post(
      '/auth/login',
      { email: `guess-${randomBytes(4).toString('hex')}@example.com`, password: 'wrong password' },
      { 'x-forwarded-for': forwardedFor },
    )
  ).status;

/** Whether express believes a peer at `address` (the first hop) about the client's address. */
const trusts = (api: ApiHarness, address: string) =>
  ((api.app.getHttpAdapter().getInstance() as Express).get('trust proxy fn') as (address: string, hop: number) => boolean)(address, 0);

const forgetCounters = (api: ApiHarness) => withRedis((redis) => deleteKeysWithPrefix(redis, `${api.config.redis.queuePrefix}:rl`));

// The tests connect from 127.0.0.1: with TRUST_PROXY=1 (or loopback) the test plays a proxy, and
// X-Forwarded-For names the clients behind it.
describe('TRUST_PROXY: whose address the rate limits count (in process, real Postgres + Redis)', () => {
  describe('TRUST_PROXY=1 (one proxy in front, e.g. a load balancer)', () => {
    let api: ApiHarness;

    beforeAll(async () => {
      api = await harness('1');
    });
    afterEach(async () => {
      await forgetCounters(api);
    });
    afterAll(async () => {
      await api.close();
    });

    it('gives two clients behind the same proxy limits of their own', async () => {
      for (let i = 0; i < limits.perAddress.points; i++) expect(await failedLogIn(api, '192.0.2.10')).toBe(401);

      expect(await failedLogIn(api, '192.0.2.10')).toBe(429);
      expect(await failedLogIn(api, '192.0.2.20')).toBe(401);
    });

    it('counts a client by the address the proxy appended, whatever address the client claims', async () => {
      const throughProxy = () => `${randomBytes(1)[0]}.${randomBytes(1)[0]}.0.1, 192.0.2.30`;
      for (let i = 0; i < limits.perAddress.points; i++) expect(await failedLogIn(api, throughProxy())).toBe(401);

      expect(await failedLogIn(api, throughProxy())).toBe(429);
    });
  });

  it.each([
    ['0', 'no proxy'],
    ['10.0.0.0/8,fd00::/8', 'proxies on other addresses'],
  ])('ignores X-Forwarded-For from a peer TRUST_PROXY=%s does not trust (%s): all its clients share one limit', async (trustProxy) => {
    const api = await harness(trustProxy);
    try {
      for (let i = 0; i < limits.perAddress.points; i++) expect(await failedLogIn(api, '192.0.2.40')).toBe(401);

      expect(await failedLogIn(api, '192.0.2.50')).toBe(429);
    } finally {
      await api.close();
    }
  });

  it('trusts only a loopback proxy by default: behind a proxy on another address, set TRUST_PROXY', async () => {
    const api = await harness();
    try {
      for (const loopback of ['127.0.0.1', '127.0.0.2', '::1']) expect(trusts(api, loopback)).toBe(true);
      for (const other of ['10.0.0.5', '172.16.0.5', '192.168.1.1', '203.0.113.1', 'fd00::1']) expect(trusts(api, other)).toBe(false);
    } finally {
      await api.close();
    }
  });

  it('hands a list of addresses, CIDRs and range names to express as given', async () => {
    const api = await harness('192.0.2.1, 10.0.0.0/8, fd00::/8, linklocal');
    try {
      for (const trusted of ['192.0.2.1', '10.9.8.7', 'fd12::1', '169.254.1.1', 'fe80::1']) expect(trusts(api, trusted)).toBe(true);
      // Loopback is not in the list, so not trusted either.
      for (const other of ['192.0.2.2', '11.0.0.1', '127.0.0.1', '::1']) expect(trusts(api, other)).toBe(false);
    } finally {
      await api.close();
    }
  });
});
