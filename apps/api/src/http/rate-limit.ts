import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Counter } from 'prom-client';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { Metrics } from '@herald/observability';
import { accountKey, clientAddress } from './rate-limit-subjects.js';
import { RateLimiterStore, type CounterLimit } from './rate-limiter-store.js';
import { TooManyRequestsException } from './too-many-requests.exception.js';

/** A limit on requests: every request to the route counts, whatever its answer. */
interface RequestLimit extends CounterLimit {
  /** What is counted: the client address (an IPv6 client by its /64), or the account named in the body. */
  readonly by: 'ip' | 'email';
}

/** A limit on failed log-ins (401 INVALID_CREDENTIALS); a right password never counts. */
export type FailureLimit = CounterLimit;

export interface LoginLimits {
  /** Consecutive failures for one account from one address; a log-in with the right password from there starts it over. Above: 429. */
  readonly perEmailAndAddress: FailureLimit;
  /** Failures from one address, whatever the account. Above: 429. */
  readonly perAddress: FailureLimit;
  /** Failures for one account from any address. Above: each further attempt waits `slowdownMs` first — never refused. */
  readonly perEmail: FailureLimit & { readonly slowdownMs: number };
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/**
 * Every rate limit of the API, and why each number. Counters live in Redis
 * (fixed windows that start at the first counted event).
 */
export const RATE_LIMITS = {
  register: [
    // A household or an office behind one address registers a few accounts; a script gets 2 a minute.
    { by: 'ip', points: 20, durationSeconds: 10 * MINUTE },
    // Registering a taken address mails its owner ("account exists"): at most 3 such mails an hour.
    { by: 'email', points: 3, durationSeconds: HOUR },
  ],
  resend: [
    { by: 'ip', points: 20, durationSeconds: 10 * MINUTE },
    // Each resend mails the address: mail-bombing someone stops at 3 an hour.
    { by: 'email', points: 3, durationSeconds: HOUR },
  ],
  // Tokens carry 256 random bits, so guessing is hopeless; this only bounds floods (each costs a database lookup).
  verify: [{ by: 'ip', points: 30, durationSeconds: 10 * MINUTE }],
  'password-reset': [
    { by: 'ip', points: 20, durationSeconds: 10 * MINUTE },
    // Each request mails the address a reset link: mail-bombing someone stops at 3 an hour.
    { by: 'email', points: 3, durationSeconds: HOUR },
  ],
  // Like verify: a reset token cannot be guessed; this bounds floods, each of which costs an Argon2 hash at most.
  'reset-confirm': [{ by: 'ip', points: 30, durationSeconds: 10 * MINUTE }],
  // A signed-in user changes the password rarely; guessing the current one with a stolen token stops at 10 an hour.
  'change-password': [{ by: 'ip', points: 10, durationSeconds: HOUR }],
  login: {
    // Someone who forgot which password they used tries a handful; 10 wrong in a row from one place is guessing.
    perEmailAndAddress: { points: 10, durationSeconds: 15 * MINUTE },
    // Password spraying from one machine over many accounts: 100 an hour, which still leaves room for an office
    // or a carrier NAT where many people mistype from one address.
    perAddress: { points: 100, durationSeconds: HOUR },
    // A guesser spread over many addresses. Refusing here would let any stranger lock the owner out, so above
    // 100 failures an hour every attempt for the account waits 2 s (the owner too, but the owner gets in).
    perEmail: { points: 100, durationSeconds: HOUR, slowdownMs: 2000 },
  },
  admin: {
    // Wrong admin credentials (/admin/*) from one client address. An operator mistypes a few times; 10 in a
    // quarter of an hour is guessing. Above: 429 for every admin request from there, the right password too.
    perAddress: { points: 10, durationSeconds: 15 * MINUTE },
  },
} as const satisfies {
  register: readonly RequestLimit[];
  resend: readonly RequestLimit[];
  verify: readonly RequestLimit[];
  'password-reset': readonly RequestLimit[];
  'reset-confirm': readonly RequestLimit[];
  'change-password': readonly RequestLimit[];
  login: LoginLimits;
  admin: { perAddress: FailureLimit };
};

/** Routes limited by request count; the log-in and the admin areas are limited by their failures (LoginThrottle, adminGuards). */
export type RateLimitPolicy = Exclude<keyof typeof RATE_LIMITS, 'login' | 'admin'>;

/** Requests refused or slowed, by policy, limit and action, for dashboards and alerts. */
export function rateLimitedRequests(metrics: Metrics): Counter<'policy' | 'limit' | 'action'> {
  return metrics.counter({
    name: 'herald_rate_limited_total',
    help: 'Requests refused (429) or slowed by a rate limit',
    labelNames: ['policy', 'limit', 'action'],
  });
}

const POLICY = Symbol('rate-limit-policy');

/** Applies the named request limits to a route. */
export const RateLimit = (policy: RateLimitPolicy) => SetMetadata(POLICY, policy);

/** The @RateLimit policy of a route handler, if any (the OpenAPI tests check that such routes document 429). */
export const rateLimitPolicyOf = (handler: object): RateLimitPolicy | undefined =>
  Reflect.getMetadata(POLICY, handler) as RateLimitPolicy | undefined;

/** Enforces @RateLimit: every request consumes a point of each limit of its policy; the first limit exhausted answers 429. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limited: Counter<'policy' | 'limit' | 'action'>;

  constructor(
    private readonly reflector: Reflector,
    private readonly store: RateLimiterStore,
    metrics: Metrics,
  ) {
    this.limited = rateLimitedRequests(metrics);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.get<RateLimitPolicy | undefined>(POLICY, context.getHandler());
    if (!policy || !this.store.enabled) return true;
    const request = context.switchToHttp().getRequest<Request>();
    // Runs before validation: the body may hold anything.
    const email: unknown = request.body?.email;

    for (const limit of RATE_LIMITS[policy]) {
      const subject = limit.by === 'ip' ? clientAddress(request.ip) : typeof email === 'string' ? accountKey(email) : undefined;
      if (subject === undefined) continue;
      try {
        await this.store.limiter(`${policy}:${limit.by}`, limit).consume(subject);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        this.limited.inc({ policy, limit: limit.by, action: 'refused' });
        throw new TooManyRequestsException(rejection.msBeforeNext);
      }
    }
    return true;
  }
}
