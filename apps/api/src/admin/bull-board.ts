import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { HeraldConfig } from '@herald/config';
import { JobProducer } from '@herald/jobs';
import { problem } from '../http/problem-details.filter.js';

export const BULL_BOARD_PATH = '/admin/queues';

const SENSITIVE_KEY = /pass(word)?|token|secret|authorization|cookie|api[-_]?key/i;

/** Defence in depth: job data holds ids only, but anything that looks secret is masked on the board. */
export function redactJobData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJobData);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
        key,
        SENSITIVE_KEY.test(key) ? '[redacted]' : redactJobData(inner),
      ]),
    );
  }
  return value;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** HTTP Basic check in constant time (hashes make the lengths equal). */
export function basicAuth(user: string, password: string) {
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
      .json(problem(401, 'UNAUTHENTICATED', 'Bull Board needs the admin credentials.'));
  };
}

/** In read-only mode every write to the board's API answers 405. */
export function refuseWrites(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  res
    .status(405)
    .set('Allow', 'GET, HEAD')
    .type('application/problem+json')
    .json(problem(405, 'READ_ONLY', 'Bull Board is read-only here.'));
}

/**
 * Mounts Bull Board at /admin/queues with every queue the contexts' jobs use.
 * It is never mounted without credentials: authentication covers every path
 * of the board (UI, static assets and its /api). We mount the Express
 * adapter ourselves because Nest guards do not cover a foreign router, and
 * because @bull-board/nestjs is CommonJS that requires Nest's ESM packages.
 */
export function mountBullBoard(app: NestExpressApplication, config: HeraldConfig, logger: Logger): boolean {
  const { user, password, boardReadOnly } = config.admin;
  if (!user || !password) {
    logger.warn({ path: BULL_BOARD_PATH }, 'Bull Board is not mounted: set ADMIN_USER and ADMIN_PASSWORD to enable it');
    return false;
  }
  const producer = app.get(JobProducer);
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'herald queues' } } });
  // The queues are those of the jobs the contexts' reactions queue, known once the app has booted:
  // they are put on the board at its first request.
  let queuesShown = false;
  const showQueues = (_req: Request, _res: Response, next: NextFunction) => {
    if (!queuesShown) {
      board.replaceQueues(
        producer.knownQueues().map((queue) => {
          const adapter = new BullMQAdapter(queue, { readOnlyMode: boardReadOnly, allowRetries: !boardReadOnly });
          adapter.setFormatter('data', redactJobData);
          return adapter;
        }),
      );
      queuesShown = true;
    }
    next();
  };
  const guards = [basicAuth(user, password), ...(boardReadOnly ? [refuseWrites] : []), showQueues];
  app.use(BULL_BOARD_PATH, ...guards, serverAdapter.getRouter());
  logger.info({ path: BULL_BOARD_PATH, readOnly: boardReadOnly }, 'Bull Board mounted');
  return true;
}
