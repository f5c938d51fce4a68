import type { HealthCheckService, HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { OutboxRelay } from '@herald/events';
import type { JobRuntime, RedisHealthIndicator } from '@herald/jobs';
import { Metrics } from '@herald/observability';
import { WorkerHealth } from './worker-health.js';

/** Terminus in short: run every indicator; any 'down' (or a throw) rejects, as HealthCheckService does. */
const healthCheck = {
  async check(indicators: (() => Promise<HealthIndicatorResult> | HealthIndicatorResult)[]) {
    const results = await Promise.all(indicators.map((indicator) => indicator()));
    const down = results.filter((result) => Object.values(result).some((entry) => entry.status === 'down'));
    if (down.length > 0) throw Object.assign(new Error('Service Unavailable'), { response: { status: 'error' } });
    return { status: 'ok' };
  },
} as unknown as HealthCheckService;

function workerHealth(state: { postgres: boolean; queues: Record<string, string>; relayRunning: boolean }) {
  const metrics = new Metrics();
  const database = {
    pingCheck: async (key: string) => {
      if (!state.postgres) throw new Error('connection refused');
      return { [key]: { status: 'up' } };
    },
  } as unknown as TypeOrmHealthIndicator;
  const redis = { pingCheck: async (key: string) => ({ [key]: { status: 'up' } }) } as unknown as RedisHealthIndicator;
  const workers = { connectionsReady: async () => state.queues } as unknown as JobRuntime;
  const relay = { isRunning: state.relayRunning } as unknown as OutboxRelay;
  const health = new WorkerHealth(healthCheck, database, redis, workers, relay, metrics);
  health.onModuleInit();
  return metrics;
}

async function readyGauge(metrics: Metrics): Promise<string | undefined> {
  return (await metrics.render()).body.split('\n').find((line) => line.startsWith('herald_worker_ready '));
}

describe(WorkerHealth.name, () => {
  describe('herald_worker_ready', () => {
    it('is 1 while Postgres, Redis, every queue worker and the relay are up', async () => {
      const metrics = workerHealth({ postgres: true, queues: { email: 'ready' }, relayRunning: true });
      expect(await readyGauge(metrics)).toBe('herald_worker_ready 1');
    });

    it('is 0 when a queue worker lost its blocking connection (stuck after a Redis outage)', async () => {
      const metrics = workerHealth({ postgres: true, queues: { email: 'blocking connection reconnecting' }, relayRunning: true });
      expect(await readyGauge(metrics)).toBe('herald_worker_ready 0');
    });

    it('is 0 when Postgres does not answer', async () => {
      const metrics = workerHealth({ postgres: false, queues: { email: 'ready' }, relayRunning: true });
      expect(await readyGauge(metrics)).toBe('herald_worker_ready 0');
    });

    it('is 0 when the relay is not running', async () => {
      const metrics = workerHealth({ postgres: true, queues: { email: 'ready' }, relayRunning: false });
      expect(await readyGauge(metrics)).toBe('herald_worker_ready 0');
    });
  });
});
