import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Counter } from 'prom-client';
import type { HeraldConfig } from '@herald/config';
import type { Metrics } from '@herald/observability';
import { sendProblem } from '../http/problem-details.filter.js';
import { ProblemException } from '../http/problem.exception.js';
import { RATE_LIMITS, rateLimitedRequests } from '../http/rate-limit.js';
import { clientAddress } from '../http/rate-limit-subjects.js';
import type { CounterLimit, RateLimiterStore } from '../http/rate-limiter-store.js';
import { TooManyRequestsException } from '../http/too-many-requests.exception.js';
import { crossSiteWriteRefusal } from './admin-form.js';

/** Where the admin areas are mounted on the API (both behind the admin credentials). */
export const BULL_BOARD_PATH = '/admin/queues';
export const OUTBOX_CONSOLE_PATH = '/admin/outbox';

/** An admin area: its name in answers, and its `area` label on the metric. */
export interface AdminArea {
  readonly name: string;
  readonly label: 'queues' | 'outbox';
}

export const BULL_BOARD_AREA: AdminArea = { name: 'Bull Board', label: 'queues' };
export const OUTBOX_CONSOLE_AREA: AdminArea = { name: 'The outbox console', label: 'outbox' };

const digest = (value: string) => createHash('sha256').update(value).digest();
const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** Admin requests that presented wrong credentials, by area: someone guessing the admin password, or a stale one. */
export function adminAuthFailures(metrics: Metrics): Counter<'area'> {
  return metrics.counter({
    name: 'herald_admin_auth_failures_total',
    help: 'Requests to /admin/* refused for wrong credentials (401 with an Authorization header)',
    labelNames: ['area'],
  });
}

/** Where the throttle leaves its lead for the operator (pino's `warn(fields, message)` shape). */
export interface AdminAccessLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** What the admin access rules need from the API: the rate limit counters, the metrics, a log. */
export interface AdminAccessDeps {
  readonly store: RateLimiterStore;
  readonly metrics: Metrics;
  readonly logger: AdminAccessLog;
  /** Failures per client address; `RATE_LIMITS.admin.perAddress` unless a test says otherwise. */
  readonly limit?: CounterLimit;
}

/**
 * The rules in front of every admin area, in order:
 * 1. the failure throttle: a client address that gave wrong credentials too
 *    often (RATE_LIMITS.admin) gets 429 with Retry-After for every request,
 *    the right password included — else a guesser would still learn which
 *    guess was right; the operator waits out the window or uses the ops CLI;
 * 2. HTTP Basic in constant time (one set of credentials for every area);
 *    a wrong one is counted (metric and throttle), a missing one is not;
 * 3. the read-only rule (ADMIN_READ_ONLY): writes answer 405;
 * 4. the same-origin rule for every request but GET and HEAD: a browser sends
 *    the cached Basic credentials with a foreign page's form too.
 *
 * Framework-free, so that the Nest guard of the outbox console and the
 * Express middleware in front of Bull Board's own router apply one rule set.
 */
export class AdminAccess {
  private readonly expectedUser: Buffer;
  private readonly expectedPassword: Buffer;
  private readonly limit: CounterLimit;
  private readonly failures: Counter<'area'>;
  private readonly limited: Counter<'policy' | 'limit' | 'action'>;

  constructor(
    credentials: { readonly user: string; readonly password: string },
    private readonly readOnly: boolean,
    private readonly area: AdminArea,
    private readonly deps: AdminAccessDeps,
  ) {
    this.expectedUser = digest(credentials.user);
    this.expectedPassword = digest(credentials.password);
    this.limit = deps.limit ?? RATE_LIMITS.admin.perAddress;
    this.failures = adminAuthFailures(deps.metrics);
    this.limited = rateLimitedRequests(deps.metrics);
  }

  /** The rules for the admin areas as configured, or null when ADMIN_USER/ADMIN_PASSWORD are unset (no admin area is served). */
  static of(config: HeraldConfig, area: AdminArea, deps: AdminAccessDeps): AdminAccess | null {
    const { user, password, readOnly } = config.admin;
    return user && password ? new AdminAccess({ user, password }, readOnly, area, deps) : null;
  }

  /** Resolves when the request may go on; rejects with the ProblemException to answer. */
  async check(req: Request): Promise<void> {
    await this.refuseThrottled(req);
    await this.authenticate(req);
    if (isRead(req.method)) return;
    if (this.readOnly) throw new ProblemException('READ_ONLY', `${this.area.name} is read-only here.`, { Allow: 'GET, HEAD' });
    const refusal = crossSiteWriteRefusal(req);
    if (refusal !== null) throw new ProblemException('CROSS_SITE_WRITE', refusal);
  }

  /** RATE_LIMIT_ENABLED=false: nothing refused, failures still on the metric. */
  private async refuseThrottled(req: Request): Promise<void> {
    if (!this.deps.store.enabled) return;
    const counted = await this.limiter().get(clientAddress(req.ip));
    if (counted === null || counted.consumedPoints < this.limit.points) return;
    this.limited.inc({ policy: 'admin', limit: 'ip', action: 'refused' });
    throw new TooManyRequestsException(
      counted.msBeforeNext,
      (seconds) => `Too many failed admin log-ins from this address; retry in ${seconds} s.`,
    );
  }

  /** HTTP Basic in constant time (hashes make the lengths equal). A missing header is the browser asking, not a guess: not counted. */
  private async authenticate(req: Request): Promise<void> {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [givenUser, ...rest] =
      scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8').split(':') : [];
    const userOk = timingSafeEqual(digest(givenUser ?? ''), this.expectedUser);
    const passwordOk = timingSafeEqual(digest(rest.join(':')), this.expectedPassword);
    if (givenUser !== undefined && userOk && passwordOk) return;
    if (req.headers.authorization !== undefined) await this.countFailure(req);
    throw new ProblemException('UNAUTHENTICATED', `${this.area.name} needs the admin credentials.`, {
      'WWW-Authenticate': 'Basic realm="herald admin", charset="UTF-8"',
    });
  }

  private async countFailure(req: Request): Promise<void> {
    this.failures.inc({ area: this.area.label });
    if (!this.deps.store.enabled) return;
    // penalty(), not consume(): it never rejects; the next request's check decides.
    const address = clientAddress(req.ip);
    const counted = await this.limiter().penalty(address);
    if (counted.consumedPoints === this.limit.points) {
      // Once per window and address: the operator's lead for the alert (an address, never a credential).
      this.deps.logger.warn(
        {
          area: this.area.label,
          clientAddress: address,
          failures: counted.consumedPoints,
          windowEndsInSeconds: Math.ceil(counted.msBeforeNext / 1000),
        },
        'admin log-in failures from one address reached the limit; its admin requests get 429 until the window ends',
      );
    }
  }

  /** Counters in Redis like the log-in's, one per client address, shared by every admin area. */
  private limiter() {
    return this.deps.store.limiter('admin:ip', this.limit);
  }
}

/**
 * The admin rules as Express middleware, for Bull Board: its router is not
 * Nest's, so no Nest guard covers it. Refusals are answered as the problem
 * filter answers (sendProblem), every path under the mount included.
 */
export function adminAccessMiddleware(access: AdminAccess): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    access.check(req).then(
      () => next(),
      (error: unknown) => (error instanceof ProblemException ? sendProblem(error, req, res) : next(error)),
    );
  };
}
