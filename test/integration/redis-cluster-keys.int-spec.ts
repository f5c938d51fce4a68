import { EmailQueue, SendWelcomeEmail } from '@herald/notifications';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { loadConfig } from '@herald/config';
import { bullConnection } from '@herald/jobs';
import { TEST_REDIS_URL } from '../support/env.js';
import { withRedis } from '../support/pipeline-harness.js';
import { keysWithPrefix } from '../support/test-redis.js';
import { createApiHarness } from '../support/api-harness.js';

/**
 * Redis Cluster readiness without a cluster: every key herald writes must
 * carry the QUEUE_PREFIX hash tag, so all of them map to one slot (BullMQ's
 * Lua scripts touch several keys of a queue at once).
 */
describe('Redis Cluster key naming (real Redis)', () => {
  it('puts every queue and rate-limit key in the slot of the prefix hash tag', async () => {
    const api = await createApiHarness({ env: { RATE_LIMIT_ENABLED: 'true' } });
    const prefix = api.config.redis.queuePrefix;
    const queue = new Queue(EmailQueue.name, { connection: { url: TEST_REDIS_URL }, prefix });
    const worker = new Worker(EmailQueue.name, null, {
      connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
      prefix,
      autorun: false,
    });
    try {
      // Keys of every kind: waiting, delayed, completed, failed jobs, events, meta, rate limits.
      expect((await api.post('/users', { email: 'slots@example.com', password: 'a long and lovely passphrase' })).status).toBe(202);
      await api.settled();
      await queue.add(SendWelcomeEmail.name, { eventId: randomUUID(), userId: randomUUID(), correlationId: 'slots' }, { delay: 60_000 });
      for (const outcome of ['completed', 'failed'] as const) {
        await queue.add(SendWelcomeEmail.name, { eventId: randomUUID(), userId: randomUUID(), correlationId: 'slots' });
        const token = randomUUID();
        const job = (await worker.getNextJob(token, { block: false })) as Job;
        if (outcome === 'completed') await job.moveToCompleted('ok', token, false);
        else await job.moveToFailed(new Error('boom'), token, false);
      }

      const keys = await withRedis((redis) => keysWithPrefix(redis, prefix));
      expect(keys.length).toBeGreaterThan(8);
      expect(keys.some((key) => key.includes(':rl:'))).toBe(true);
      const slots = new Set(keys.map((key) => calculateSlot(key)));
      expect([...slots]).toEqual([calculateSlot(prefix)]);
    } finally {
      await worker.close();
      await queue.close();
      await api.close();
    }
  });

  it('refuses a cluster configuration whose prefix has no hash tag', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://127.0.0.1:7000', QUEUE_PREFIX: 'herald' })).toThrow(
      /QUEUE_PREFIX: must contain a \{hash tag\}/,
    );
  });

  it('gives BullMQ a cluster client when REDIS_CLUSTER_NODES is set (without connecting)', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: 'redis://:secret@127.0.0.1:7000,redis://127.0.0.1:7001' });
    const connection = bullConnection(config.redis, { lazyConnect: true, maxRetriesPerRequest: null });
    expect(connection).toBeInstanceOf(Cluster);
    const cluster = connection as unknown as Cluster;
    expect(cluster.status).toBe('wait');
    expect(cluster.options.redisOptions).toMatchObject({ password: 'secret', maxRetriesPerRequest: null });
    cluster.disconnect();
  });
});
