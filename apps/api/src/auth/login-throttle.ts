import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counter } from 'prom-client';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { Metrics } from '@herald/observability';
import { rateLimitedRequests, type LoginLimits } from '../http/rate-limit.js';
import { accountKey, clientAddress } from '../http/rate-limit-subjects.js';
import { RateLimiterStore } from '../http/rate-limiter-store.js';
import { TooManyRequestsException } from '../http/too-many-requests.exception.js';

/** DI token of the log-in limits: `RATE_LIMITS.login`, replaced by tests that need small numbers. */
export const LOGIN_LIMITS = Symbol('LOGIN_LIMITS');

/** One admitted log-in attempt; tell it how the password check ended. */
export interface LoginAttempt {
  /** Wrong password or unknown email: counts for the (account, address) pair, the address and the account. */
  failed(): Promise<void>;
  /** The password was right (a token was issued, or the account is not verified yet): the pair starts over. */
  passwordAccepted(): Promise<void>;
}

const UNLIMITED: LoginAttempt = { failed: async () => undefined, passwordAccepted: async () => undefined };

/**
 * Brute-force protection of POST /auth/login, after rate-limiter-flexible's
 * "login endpoint protection": read the failure counters before the attempt,
 * count only failures, and forget the (account, address) failures after a
 * right password. Nothing a stranger does from elsewhere can stop the owner:
 * the limits that refuse are per address; the per-account one only slows.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);
  private readonly limited: Counter<'policy' | 'limit' | 'action'>;

  constructor(
    private readonly store: RateLimiterStore,
    @Inject(LOGIN_LIMITS) private readonly limits: LoginLimits,
    metrics: Metrics,
  ) {
    this.limited = rateLimitedRequests(metrics);
  }

  /**
   * Refuses (429) an address that failed too often, for this account or over
   * all accounts; waits first when the account itself has failed too often
   * from everywhere. Call it before the password is checked.
   */
  async admit(email: string, ip: string | undefined): Promise<LoginAttempt> {
    if (!this.store.enabled) return UNLIMITED;
    const account = accountKey(email);
    const address = clientAddress(ip);
    const pair = `${account}:${address}`;
    const perPair = this.store.limiter('login:email_ip', this.limits.perEmailAndAddress);
    const perAddress = this.store.limiter('login:ip', this.limits.perAddress);
    const perAccount = this.store.limiter('login:email', this.limits.perEmail);
    const [pairFailures, addressFailures, accountFailures] = await Promise.all([
      perPair.get(pair),
      perAddress.get(address),
      perAccount.get(account),
    ]);

    const exhausted = (
      [
        ['email_ip', pairFailures, this.limits.perEmailAndAddress.points],
        ['ip', addressFailures, this.limits.perAddress.points],
      ] as const
    ).filter(([, failures, points]) => failures !== null && failures.consumedPoints >= points);
    if (exhausted.length > 0) {
      for (const [limit] of exhausted) this.limited.inc({ policy: 'login', limit, action: 'refused' });
      // Retry-After: when every exhausted limit has started over.
      throw new TooManyRequestsException(Math.max(...exhausted.map(([, failures]) => (failures as RateLimiterRes).msBeforeNext)));
    }
    if (accountFailures !== null && accountFailures.consumedPoints >= this.limits.perEmail.points) {
      this.limited.inc({ policy: 'login', limit: 'email', action: 'slowed' });
      await sleep(this.limits.perEmail.slowdownMs);
    }

    return {
      failed: async () => {
        // penalty(), not consume(): it never rejects. Whether to refuse is decided by the next admit().
        const [, , accountNow] = await Promise.all([perPair.penalty(pair), perAddress.penalty(address), perAccount.penalty(account)]);
        if (accountNow.consumedPoints === this.limits.perEmail.points) {
          this.logger.warn({
            msg: 'log-in failures for one account reached the ceiling; its attempts are slowed until the window ends',
            // A prefix of the hashed key (never the address): enough to follow one account in the logs.
            account: account.slice(0, 12),
            clientAddress: address,
            slowdownMs: this.limits.perEmail.slowdownMs,
            windowEndsInSeconds: Math.ceil(accountNow.msBeforeNext / 1000),
          });
        }
      },
      passwordAccepted: async () => {
        if (pairFailures !== null) await perPair.delete(pair);
      },
    };
  }
}
