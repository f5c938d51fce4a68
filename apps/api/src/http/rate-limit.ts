import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Cluster, Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { HeraldConfig } from '@herald/config';
import { createRedisClient } from '@herald/jobs';

interface Limit {
  /** What the key is built from. */
  readonly by: 'ip' | 'email';
  readonly points: number;
  readonly durationSeconds: number;
}

/**
 * Limits per endpoint. Per IP against floods; per email against mail-bombing
 * someone (register/resend send mail) and password guessing (login).
 */
export const RATE_LIMITS = {
  register: [
    { by: 'ip', points: 20, durationSeconds: 600 },
    { by: 'email', points: 3, durationSeconds: 3600 },
  ],
  resend: [
    { by: 'ip', points: 20, durationSeconds: 600 },
    { by: 'email', points: 3, durationSeconds: 3600 },
  ],
  verify: [{ by: 'ip', points: 30, durationSeconds: 600 }],
  login: [
    { by: 'ip', points: 100, durationSeconds: 900 },
    { by: 'email', points: 10, durationSeconds: 900 },
  ],
} as const satisfies Record<string, readonly Limit[]>;

export type RateLimitPolicy = keyof typeof RATE_LIMITS;

const POLICY = Symbol('rate-limit-policy');

/** Applies the named limits to a route. */
export const RateLimit = (policy: RateLimitPolicy) => SetMetadata(POLICY, policy);

/**
 * Enforces @RateLimit with counters in Redis, so limits hold across API
 * instances. If Redis is unreachable an in-memory limiter stands in (per
 * instance) rather than failing the request. RATE_LIMIT_ENABLED=false turns
 * it off (behind a limiting gateway, for load tests).
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RateLimitGuard.name);
  private readonly redis?: Redis | Cluster;
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(
    private readonly reflector: Reflector,
    private readonly config: HeraldConfig,
  ) {
    if (config.auth.rateLimitEnabled) {
      this.redis = createRedisClient(config.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      this.redis.on('error', () => undefined); // reported through the insurance limiter's use
    }
  }

  /**
   * Gives the limiter's Redis connection a moment to come up before the API
   * serves: requests that arrive before it is ready fall back to the
   * per-process insurance limiter, which does not hold across API instances.
   * Bounded, so an API started while Redis is away still starts.
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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.get<RateLimitPolicy | undefined>(POLICY, context.getHandler());
    if (!policy || !this.redis) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const email = typeof request.body?.email === 'string' ? request.body.email.trim().toLowerCase().slice(0, 254) : undefined;

    for (const [index, limit] of RATE_LIMITS[policy].entries()) {
      const subject = limit.by === 'ip' ? (request.ip ?? 'unknown') : email;
      if (!subject) continue;
      try {
        await this.limiter(policy, index, limit).consume(subject);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        response.setHeader('Retry-After', String(retryAfter));
        throw new HttpException({ code: 'TOO_MANY_REQUESTS', detail: `Too many attempts; retry in ${retryAfter} s.` }, 429);
      }
    }
    return true;
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  private limiter(policy: string, index: number, limit: Limit): RateLimiterRedis {
    const key = `${policy}:${index}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        // Same hash tag as the queues: Redis Cluster keeps them in one slot.
        keyPrefix: `${this.config.redis.queuePrefix}:rl:${policy}:${limit.by}`,
        points: limit.points,
        duration: limit.durationSeconds,
        insuranceLimiter: new RateLimiterMemory({ points: limit.points, duration: limit.durationSeconds }),
      });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}
