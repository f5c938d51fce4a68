import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { HeraldConfig } from '@herald/config';
import { createRedisClient } from '@herald/jobs';

export class DependencyUnavailableError extends Error {
  constructor(readonly unavailable: string[]) {
    super(`Gave up waiting for ${unavailable.join(' and ')}`);
    this.name = 'DependencyUnavailableError';
  }
}

async function postgresAnswers(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(redis: HeraldConfig['redis']): Promise<string | null> {
  const client = createRedisClient(redis, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.disconnect();
  }
}

/**
 * Waits (bounded by STARTUP_TIMEOUT_MS) until Postgres and Redis answer.
 * Throws naming the one(s) that never did, with their last error.
 */
export async function waitForDependencies(config: HeraldConfig, log: (message: string) => void): Promise<void> {
  const deadline = Date.now() + config.lifecycle.startupTimeoutMs;
  for (;;) {
    const [postgres, redis] = await Promise.all([postgresAnswers(config.database.url), redisAnswers(config.redis)]);
    if (!postgres && !redis) return;
    const down = [...(postgres ? [`Postgres (DATABASE_URL): ${postgres}`] : []), ...(redis ? [`Redis (REDIS_URL): ${redis}`] : [])];
    if (Date.now() >= deadline) throw new DependencyUnavailableError(down);
    log(`waiting for ${down.join('; ')}`);
    await sleep(500);
  }
}
