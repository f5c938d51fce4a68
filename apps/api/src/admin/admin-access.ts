import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { problem } from '../http/problem-details.filter.js';

/** Where the admin areas are mounted on the API (both behind basicAuth). */
export const BULL_BOARD_PATH = '/admin/queues';
export const OUTBOX_CONSOLE_PATH = '/admin/outbox';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * HTTP Basic check in constant time (hashes make the lengths equal), shared by
 * every admin area (Bull Board, the outbox console): one set of credentials.
 * `area` names what is protected in the 401's detail.
 */
export function basicAuth(user: string, password: string, area: string) {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return (req: Request, res: Response, next: NextFunction): void => {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [givenUser, ...rest] =
      scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8').split(':') : [];
    const userOk = timingSafeEqual(digest(givenUser ?? ''), expectedUser);
    const passwordOk = timingSafeEqual(digest(rest.join(':')), expectedPassword);
    if (givenUser !== undefined && userOk && passwordOk) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="herald admin", charset="UTF-8"')
      .type('application/problem+json')
      .json(problem(401, 'UNAUTHENTICATED', `${area} needs the admin credentials.`));
  };
}

/** The read-only rule of the admin areas (BULL_BOARD_READ_ONLY): every write answers 405. */
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
