import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { HeraldConfig } from '@herald/config';
import type { Metrics } from '@herald/observability';
import { problem } from '../http/problem-details.filter.js';
import { RATE_LIMITS, rateLimitedRequests } from '../http/rate-limit.js';
import { clientAddress } from '../http/rate-limit-subjects.js';
import type { CounterLimit, RateLimiterStore } from '../http/rate-limiter-store.js';
import { sameOriginOnly } from './admin-form.js';

/** Where the admin areas are mounted on the API (both behind basicAuth). */
export const BULL_BOARD_PATH = '/admin/queues';
export const OUTBOX_CONSOLE_PATH = '/admin/outbox';

/** An admin area: its name in answers, and its `area` label on the metric. */
export interface AdminArea {
  readonly name: string;
  readonly label: 'queues' | 'outbox';
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Admin requests that presented wrong credentials, by area: someone guessing the admin password, or a stale one. */
export function adminAuthFailures(metrics: Metrics): Counter<'area'> {
  return metrics.counter({
    name: 'herald_admin_auth_failures_total',
    help: 'Requests to /admin/* refused for wrong credentials (401 with an Authorization header)',
    labelNames: ['area'],
  });
}

/** What the admin guards need from the API: the rate limit counters and the metrics. */
export interface AdminAccessDeps {
  readonly store: RateLimiterStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Failures per client address; `RATE_LIMITS.admin.perAddress` unless a test says otherwise. */
  readonly limit?: CounterLimit;
}

/**
 * The guards in front of every admin area, in order:
 * 1. the failure throttle: a client address that gave wrong credentials too
 *    often (RATE_LIMITS.admin) gets 429 with Retry-After for every request,
 *    the right password included — else a guesser would still learn which
 *    guess was right; the operator waits out the window or uses the ops CLI;
 * 2. HTTP Basic in constant time (one set of credentials for every area);
 *    a wrong one is counted (metric and throttle), a missing one is not;
 * 3. the read-only rule (ADMIN_READ_ONLY): writes answer 405;
 * 4. the same-origin rule for every request but GET and HEAD: a browser sends
 *    the cached Basic credentials with a foreign page's form too.
 */
export function adminGuards(config: HeraldConfig, area: AdminArea, deps: AdminAccessDeps): RequestHandler[] {
  const { user, password, readOnly } = config.admin;
  const throttle = failureThrottle(area, deps);
  return [
    throttle.refuseThrottled,
    basicAuth(user!, password!, area.name, throttle.countFailure),
    ...(readOnly ? [refuseWrites(area.name)] : []),
    writesSameOriginOnly,
  ];
}

/**
 * Counts wrong admin credentials per client address (rate-limiter-flexible,
 * counters in Redis like the log-in's) and refuses an address past the limit.
 * RATE_LIMIT_ENABLED=false: nothing refused, failures still on the metric.
 */
function failureThrottle(area: AdminArea, deps: AdminAccessDeps) {
  const limit = deps.limit ?? RATE_LIMITS.admin.perAddress;
  const failures = adminAuthFailures(deps.metrics);
  const limited = rateLimitedRequests(deps.metrics);
  const limiter = () => deps.store.limiter('admin:ip', limit);

  const refuse = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!deps.store.enabled) return next();
    const counted = await limiter().get(clientAddress(req.ip));
    if (counted === null || counted.consumedPoints < limit.points) return next();
    limited.inc({ policy: 'admin', limit: 'ip', action: 'refused' });
    const retryAfterSeconds = Math.max(1, Math.ceil(counted.msBeforeNext / 1000));
    res
      .status(429)
      .set('Retry-After', String(retryAfterSeconds))
      .type('application/problem+json')
      .json(problem(429, 'TOO_MANY_REQUESTS', `Too many failed admin log-ins from this address; retry in ${retryAfterSeconds} s.`));
  };

  return {
    refuseThrottled: ((req, res, next) => void refuse(req, res, next).catch(next)) as RequestHandler,
    countFailure: async (req: Request): Promise<void> => {
      failures.inc({ area: area.label });
      if (!deps.store.enabled) return;
      // penalty(), not consume(): it never rejects; the next request's check decides.
      const address = clientAddress(req.ip);
      const counted = await limiter().penalty(address);
      if (counted.consumedPoints === limit.points) {
        // Once per window and address: the operator's lead for the alert (an address, never a credential).
        deps.logger.warn(
          {
            area: area.label,
            clientAddress: address,
            failures: counted.consumedPoints,
            windowEndsInSeconds: Math.ceil(counted.msBeforeNext / 1000),
          },
          'admin log-in failures from one address reached the limit; its admin requests get 429 until the window ends',
        );
      }
    },
  };
}

/**
 * HTTP Basic check in constant time (hashes make the lengths equal), shared by
 * every admin area (Bull Board, the outbox console): one set of credentials.
 * `area` names what is protected in the 401's detail. `onFailure` hears of
 * each request that presented wrong credentials (a missing header is the
 * browser asking, not a guess) before the 401 goes out.
 */
export function basicAuth(user: string, password: string, area: string, onFailure?: (req: Request) => Promise<void>) {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return (req: Request, res: Response, next: NextFunction): void => {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [givenUser, ...rest] =
      scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8').split(':') : [];
    const userOk = timingSafeEqual(digest(givenUser ?? ''), expectedUser);
    const passwordOk = timingSafeEqual(digest(rest.join(':')), expectedPassword);
    if (givenUser !== undefined && userOk && passwordOk) return next();
    const refuse = () => {
      res
        .status(401)
        .set('WWW-Authenticate', 'Basic realm="herald admin", charset="UTF-8"')
        .type('application/problem+json')
        .json(problem(401, 'UNAUTHENTICATED', `${area} needs the admin credentials.`));
    };
    if (onFailure && req.headers.authorization !== undefined) void onFailure(req).then(refuse, next);
    else refuse();
  };
}

/** The read-only rule of the admin areas (ADMIN_READ_ONLY): every write answers 405. */
export function refuseWrites(area: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    res
      .status(405)
      .set('Allow', 'GET, HEAD')
      .type('application/problem+json')
      .json(problem(405, 'READ_ONLY', `${area} is read-only here.`));
  };
}

/** sameOriginOnly for every method that can change something (all but GET and HEAD). */
function writesSameOriginOnly(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  sameOriginOnly(req, res, next);
}
