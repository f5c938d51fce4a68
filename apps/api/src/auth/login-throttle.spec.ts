import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { loadConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import type { LoginLimits } from '../http/rate-limit.js';
import { RateLimiterStore } from '../http/rate-limiter-store.js';
import { TooManyRequestsException } from '../http/too-many-requests.exception.js';
import { LoginThrottle } from './login-throttle.js';

const limits: LoginLimits = {
  perEmailAndAddress: { points: 3, durationSeconds: 900 },
  perAddress: { points: 100, durationSeconds: 3600 },
  perEmail: { points: 100, durationSeconds: 3600, slowdownMs: 1000 },
};

async function failTimes(throttle: LoginThrottle, times: number, email: string, ip: string): Promise<void> {
  for (let i = 0; i < times; i++) await (await throttle.admit(email, ip)).failed();
}

describe(LoginThrottle.name, () => {
  describe('while Redis does not answer', () => {
    // A server that accepts connections and never answers: the client never gets ready, every command fails
    // at once (no offline queue), and the in-memory insurance limiter stands in.
    let silentRedis: Server;
    const connections = new Set<Socket>();
    let store: RateLimiterStore;
    let throttle: LoginThrottle;

    beforeAll(async () => {
      silentRedis = createServer((socket) => {
        connections.add(socket.on('error', () => undefined));
      });
      await new Promise<void>((resolve) => silentRedis.listen(0, '127.0.0.1', resolve));
      const { port } = silentRedis.address() as AddressInfo;
      store = new RateLimiterStore(loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, STARTUP_TIMEOUT_MS: '100' }));
      await store.onModuleInit();
      throttle = new LoginThrottle(store, limits, new Metrics());
    });
    afterAll(async () => {
      store.onModuleDestroy();
      const closed = new Promise((resolve) => silentRedis.close(resolve));
      for (const socket of connections) socket.destroy();
      await closed;
    });

    it('still refuses an address that failed too often for an account, in this process', async () => {
      await failTimes(throttle, limits.perEmailAndAddress.points, 'ada@example.com', '192.0.2.1');

      await expect(throttle.admit('ada@example.com', '192.0.2.1')).rejects.toBeInstanceOf(TooManyRequestsException);
      await expect(throttle.admit('ada@example.com', '192.0.2.2')).resolves.toBeDefined();
    });

    it('still starts the count over after the right password', async () => {
      await failTimes(throttle, limits.perEmailAndAddress.points - 1, 'grace@example.com', '192.0.2.3');
      await (await throttle.admit('grace@example.com', '192.0.2.3')).passwordAccepted();

      await failTimes(throttle, limits.perEmailAndAddress.points - 1, 'grace@example.com', '192.0.2.3');
      await expect(throttle.admit('grace@example.com', '192.0.2.3')).resolves.toBeDefined();
    });
  });

  describe('with RATE_LIMIT_ENABLED=false', () => {
    it('admits every attempt and connects to nothing', async () => {
      const store = new RateLimiterStore(loadConfig({ RATE_LIMIT_ENABLED: 'false' }));
      const throttle = new LoginThrottle(store, limits, new Metrics());

      expect(store.enabled).toBe(false);
      await failTimes(throttle, limits.perEmailAndAddress.points * 2, 'ada@example.com', '192.0.2.1');
      await expect(throttle.admit('ada@example.com', '192.0.2.1')).resolves.toBeDefined();
    });
  });
});
