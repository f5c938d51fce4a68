import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { HeraldConfig } from '@herald/config';
import { createRedisClient } from '@herald/jobs';

/**
 * How long a counter waits for Redis before the in-memory stand-in answers.
 * Without it a request waits out the client's own retries: with a Redis
 * Cluster master down, each log-in took 4–7 s (test/fault/redis-cluster).
 */
export const RATE_LIMIT_REDIS_TIMEOUT_MS = 500;

/** How many events a counter allows in its window. */
export interface CounterLimit {
  readonly points: number;
  readonly durationSeconds: number;
}

/**
 * The counters of every rate limit, in Redis so that limits hold across API
 * instances. If Redis is unreachable, or does not answer within
 * RATE_LIMIT_REDIS_TIMEOUT_MS, an in-memory limiter stands in (per instance)
 * rather than failing or holding up the request. RATE_LIMIT_ENABLED=false turns
 * every limit off (behind a limiting gateway, for load tests): `enabled` is
 * false and no connection is made.
 */
@Injectable()
export class RateLimiterStore implements OnModuleInit, OnModuleDestroy {
  private readonly redis?: Redis | Cluster;
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly config: HeraldConfig) {
    if (config.auth.rateLimitEnabled) {
      this.redis = createRedisClient(config.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      this.redis.on('error', () => undefined); // reported through the insurance limiter's use
    }
  }

  get enabled(): boolean {
    return this.redis !== undefined;
  }

  /**
   * Gives the Redis connection a moment to come up before the API serves:
   * requests that arrive before it is ready fall back to the per-process
   * insurance limiter, which does not hold across API instances. Bounded, so
   * an API started while Redis is away still starts.
   */
  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => redis.once('ready', () => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(2000, this.config.lifecycle.startupTimeoutMs)).unref())),
    ]);
    clearTimeout(timer);
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  /**
   * The counter named `name` (e.g. `login:ip`), kept under
   * `<QUEUE_PREFIX>:rl:<name>:<subject>` — the queues' hash tag, so Redis
   * Cluster keeps every key in one slot.
   */
  limiter(name: string, limit: CounterLimit): RateLimiterAbstract {
    if (!this.redis) throw new Error('rate limits are switched off (RATE_LIMIT_ENABLED=false)');
    let limiter = this.limiters.get(name);
    if (!limiter) {
      // The stand-in belongs to the wrapper only: an operation that times out and later fails in
      // Redis must not count twice in memory.
      limiter = new RLWrapperTimeouts({
        limiter: new RateLimiterRedis({
          storeClient: this.redis,
          keyPrefix: `${this.config.redis.queuePrefix}:rl:${name}`,
          points: limit.points,
          duration: limit.durationSeconds,
        }),
        timeoutMs: RATE_LIMIT_REDIS_TIMEOUT_MS,
        insuranceLimiter: new RateLimiterMemory({ points: limit.points, duration: limit.durationSeconds }),
      });
      this.limiters.set(name, limiter);
    }
    return limiter;
  }
}
