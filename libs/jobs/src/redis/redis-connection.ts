import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import type { HeraldConfig } from '@herald/config';

/** ioredis options from a `redis://` or `rediss://` URL. */
export function redisOptionsFromUrl(url: string, extra: RedisOptions = {}): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    ...extra,
  };
}

/**
 * A Redis Cluster client for REDIS_CLUSTER_NODES (credentials and TLS from the
 * first node's URL). Every queue key carries the QUEUE_PREFIX hash tag, so
 * BullMQ's multi-key scripts stay within one slot.
 */
export function createClusterClient(nodes: readonly string[], extra: RedisOptions = {}): Cluster {
  const { host: _host, port: _port, db: _db, ...shared } = redisOptionsFromUrl(nodes[0]!, extra);
  return new Cluster(
    nodes.map((node) => {
      const { hostname, port } = new URL(node);
      return { host: hostname, port: port ? Number(port) : 6379 };
    }),
    {
      redisOptions: shared,
      enableOfflineQueue: extra.enableOfflineQueue ?? true,
      lazyConnect: extra.lazyConnect ?? false,
    },
  );
}

/** A Redis client for herald's own use (rate limits, checks): standalone or cluster, from config. */
export function createRedisClient(redis: HeraldConfig['redis'], extra: RedisOptions = {}): Redis | Cluster {
  return redis.clusterNodes.length > 0 ? createClusterClient(redis.clusterNodes, extra) : new Redis(redisOptionsFromUrl(redis.url, extra));
}

/**
 * What BullMQ gets as `connection`: plain options for a standalone Redis (BullMQ
 * opens its own connections), or a cluster client (BullMQ duplicates it where it
 * needs a blocking connection).
 */
export function bullConnection(redis: HeraldConfig['redis'], extra: RedisOptions = {}): ConnectionOptions {
  return redis.clusterNodes.length > 0
    ? (createClusterClient(redis.clusterNodes, extra) as unknown as ConnectionOptions)
    : (redisOptionsFromUrl(redis.url, extra) as ConnectionOptions);
}
