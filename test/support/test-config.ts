import { loadConfig, type HeraldConfig } from '@herald/config';
import { TEST_REDIS_URL } from './env.js';

/** A validated config for in-process tests: own database and queue prefix, quiet logs. */
export function testConfig(databaseUrl: string, queuePrefix: string, overrides: Record<string, string> = {}): HeraldConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    OUTBOX_RELAY_ENABLED: 'false',
    ...overrides,
  });
}
