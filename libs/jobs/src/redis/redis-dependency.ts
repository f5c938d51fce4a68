import type { HeraldConfig } from '@herald/config';
import { maskUrl, reasonOf, withoutPasswords, type StartupDependency } from '@herald/observability';
import { createRedisClient } from './redis-connection.js';

/**
 * Redis (REDIS_URL) or Redis Cluster (REDIS_CLUSTER_NODES), for
 * waitForDependencies. Answers when an `EXISTS <QUEUE_PREFIX>:health` does: a
 * read in the queues' hash slot, as the API's readiness check does
 * (JobProducer.ping). Not PING: on a cluster any master answers PING, also
 * while the one serving the queues' slot is down.
 */
export function redisDependency(config: Pick<HeraldConfig, 'redis'>): StartupDependency {
  const { url, clusterNodes, queuePrefix } = config.redis;
  const cluster = clusterNodes.length > 0;
  const urls = cluster ? clusterNodes : [url];
  return {
    name: cluster ? 'Redis Cluster' : 'Redis',
    variable: cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL',
    address: urls.map(maskUrl).join(','),
    async check(timeoutMs) {
      const client = createRedisClient(config.redis, {
        lazyConnect: true,
        connectTimeout: timeoutMs,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        connectionName: 'herald-startup-check',
      });
      // ioredis emits the cause (ECONNREFUSED ...) as 'error'; a failed connect() only says the connection closed.
      let lastError: unknown;
      client.on('error', (error) => (lastError = error));
      try {
        await client.connect();
        await client.exists(`${queuePrefix}:health`);
      } catch (error) {
        throw new Error(withoutPasswords(reasonOf(lastError ?? error), urls));
      } finally {
        client.disconnect();
      }
    },
  };
}
