import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { HeraldConfig } from '@herald/config';
import { JobProducer, JobRegistryExplorer, type JobRegistry } from '@herald/jobs';
import {
  AdminAccess,
  adminAccessMiddleware,
  BULL_BOARD_AREA,
  BULL_BOARD_PATH,
  OUTBOX_CONSOLE_PATH,
  type AdminAccessDeps,
} from './admin-access.js';

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

/**
 * Mounts Bull Board at /admin/queues with every queue of the job registry.
 * It is never mounted without credentials: authentication covers every path
 * of the board (UI, static assets and its /api). We mount the Express
 * adapter ourselves because Nest guards do not cover a foreign router, and
 * because @bull-board/nestjs is CommonJS that requires Nest's ESM packages.
 */
/** The board's view of every queue of the job registry: read-only when asked, job data redacted. */
export function boardQueues(registry: JobRegistry, producer: JobProducer, readOnly: boolean): BullMQAdapter[] {
  return registry.queueNames.map((name) => {
    const adapter = new BullMQAdapter(producer.queue(name), { readOnlyMode: readOnly, allowRetries: !readOnly });
    adapter.setFormatter('data', redactJobData);
    return adapter;
  });
}

export function mountBullBoard(app: NestExpressApplication, config: HeraldConfig, logger: Logger, deps: AdminAccessDeps): boolean {
  const { readOnly } = config.admin;
  const access = AdminAccess.of(config, BULL_BOARD_AREA, deps);
  if (!access) {
    logger.warn({ path: BULL_BOARD_PATH }, 'Bull Board is not mounted: set ADMIN_USER and ADMIN_PASSWORD to enable it');
    return false;
  }
  const producer = app.get(JobProducer);
  const explorer = app.get(JobRegistryExplorer);
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: {
      // The outbox console sits behind the same credentials: the board's menu links to it.
      uiConfig: { boardTitle: 'herald queues', miscLinks: [{ text: 'Outbox console', url: OUTBOX_CONSOLE_PATH }] },
    },
  });
  // The queues are the job registry's, known once the app has booted: they are put on the board at its first request.
  let queuesShown = false;
  const showQueues = (_req: Request, _res: Response, next: NextFunction) => {
    if (!queuesShown) {
      board.replaceQueues(boardQueues(explorer.registry, producer, readOnly));
      queuesShown = true;
    }
    next();
  };
  app.use(BULL_BOARD_PATH, adminAccessMiddleware(access), showQueues, serverAdapter.getRouter());
  logger.info({ path: BULL_BOARD_PATH, readOnly }, 'Bull Board mounted');
  return true;
}
