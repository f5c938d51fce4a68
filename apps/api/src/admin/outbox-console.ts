import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { HeraldConfig } from '@herald/config';
import { OutboxQueries, OutboxRepairs, OutboxRowError, parseEventId } from '@herald/events';
import { isServiceUnavailable } from '@herald/observability';
import { problem } from '../http/problem-details.filter.js';
import { adminGuards, BULL_BOARD_PATH, OUTBOX_CONSOLE_PATH, type AdminAccessDeps } from './admin-access.js';
import { FormBodyError, readFormBody } from './admin-form.js';
import { renderOutboxConsole, type ConsoleNotice } from './outbox-console-page.js';

const AREA = 'The outbox console';

/** Dead rows listed on the page (oldest first); the count above the list covers them all. */
const DEAD_ROWS_SHOWN = 100;
/** The window of dispatched rows counted per event type: an index range, not the table. */
const RECENT_WINDOW_MS = 60 * 60_000;
/** Dispatch lag is taken over this many rows dispatched last. */
const LAG_SAMPLE_SIZE = 1000;

/** What a requeue form asks for: one dead row, or every dead row. */
export type RequeueRequest = { readonly id: string } | { readonly allDead: true };

/** Validates the requeue form (`id=<uuid>` or `all=dead`, nothing else); a string is the reason for a 400. */
export function parseRequeueForm(form: URLSearchParams): RequeueRequest | string {
  const keys = [...form.keys()];
  const unknown = keys.filter((key) => key !== 'id' && key !== 'all');
  if (unknown.length > 0) return `unknown field ${unknown.map((key) => JSON.stringify(key)).join(', ')}: send id=<event id> or all=dead`;
  const ids = form.getAll('id');
  const all = form.getAll('all');
  if (ids.length + all.length !== 1) return 'send exactly one of id=<event id> or all=dead';
  if (all.length === 1) return all[0] === 'dead' ? { allDead: true } : 'all must be "dead"';
  const id = parseEventId(ids[0]!);
  return id ? { id } : 'id must be an outbox event id (a UUID)';
}

/** The notice named by the redirect after a write (`?requeued=<n>` or `?stale=1`); anything else shows none. */
export function noticeOf(url: string): ConsoleNotice | null {
  const query = new URL(url, 'http://console.invalid').searchParams;
  const requeued = query.get('requeued');
  if (requeued !== null && /^\d{1,9}$/.test(requeued)) return { kind: 'requeued', count: Number(requeued) };
  return query.get('stale') === '1' ? { kind: 'stale' } : null;
}

/**
 * The operator's page at /admin/outbox: backlog, dispatch lag, counts per
 * event type, dead rows with their error, and (unless read-only) requeue.
 * Server-rendered, no script: reading and requeueing work without JavaScript.
 *
 * Same credentials and read-only rule as Bull Board, mounted the same way (an
 * Express handler, so authentication covers every path under it, known or
 * not). Writes also need a same-origin request: Basic credentials are sent by
 * the browser whoever made it send the request.
 */
export function mountOutboxConsole(app: NestExpressApplication, config: HeraldConfig, logger: Logger, access: AdminAccessDeps): boolean {
  const { user, password, boardReadOnly } = config.admin;
  if (!user || !password) {
    logger.warn({ path: OUTBOX_CONSOLE_PATH }, 'Outbox console is not mounted: set ADMIN_USER and ADMIN_PASSWORD to enable it');
    return false;
  }
  const queries = app.get(OutboxQueries);
  const repairs = app.get(OutboxRepairs);

  const page = async (req: Request, res: Response): Promise<void> => {
    const [backlog, byEventType, lag, deadRows] = await Promise.all([
      queries.backlog(),
      queries.countsByEventType(RECENT_WINDOW_MS),
      queries.dispatchLag(LAG_SAMPLE_SIZE),
      queries.deadRows(DEAD_ROWS_SHOWN),
    ]);
    const html = renderOutboxConsole({
      basePath: OUTBOX_CONSOLE_PATH,
      boardPath: BULL_BOARD_PATH,
      readOnly: boardReadOnly,
      pending: backlog.pending,
      pendingEstimated: !backlog.exact,
      oldestPendingAgeMs: backlog.oldestPendingAgeMs,
      lag,
      lagSampleSize: LAG_SAMPLE_SIZE,
      byEventType,
      recentWindowMs: RECENT_WINDOW_MS,
      deadRows,
      deadTotal: byEventType.reduce((sum, counts) => sum + counts.dead, 0),
      notice: noticeOf(req.originalUrl),
      renderedAt: new Date(),
    });
    res
      .status(200)
      .type('text/html; charset=utf-8')
      .set('Cache-Control', 'no-store')
      // Stricter than the app-wide policy: this page runs no script and posts only to itself.
      .set(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      )
      .send(html);
  };

  const requeue = async (req: Request, res: Response): Promise<void> => {
    const request = parseRequeueForm(await readFormBody(req));
    if (typeof request === 'string') {
      res
        .status(400)
        .type('application/problem+json')
        .json(problem(400, 'VALIDATION_FAILED', request));
      return;
    }
    try {
      const rows = await repairs.requeue('id' in request ? { ids: [request.id] } : { allDead: true });
      logger.info(
        { operator: user, requeued: rows.map((row) => ({ id: row.id, eventType: row.eventType, attempts: row.previousAttempts })) },
        'outbox console requeued dead rows',
      );
      res.redirect(303, `${OUTBOX_CONSOLE_PATH}?requeued=${rows.length}`);
    } catch (error) {
      // Unknown, or no longer dead (requeued from another tab, the CLI): show the current state.
      if (!(error instanceof OutboxRowError)) throw error;
      logger.info({ operator: user, reason: error.message }, 'outbox console requeue found nothing to requeue');
      res.redirect(303, `${OUTBOX_CONSOLE_PATH}?stale=1`);
    }
  };

  const fail = (error: unknown, res: Response): void => {
    if (error instanceof FormBodyError) {
      res
        .status(error.status)
        .type('application/problem+json')
        .json(problem(error.status, error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'UNSUPPORTED_MEDIA_TYPE', error.message));
    } else if (isServiceUnavailable(error)) {
      logger.warn({ err: error }, 'outbox console: Postgres is unavailable');
      res
        .status(503)
        .set('Retry-After', '5')
        .type('application/problem+json')
        .json(problem(503, 'SERVICE_UNAVAILABLE', 'Postgres is unavailable; try again shortly.'));
    } else {
      // Never Express's default error page (it shows the stack outside production).
      logger.error({ err: error }, 'outbox console failed');
      res.status(500).type('application/problem+json').json(problem(500, 'INTERNAL_ERROR'));
    }
  };

  const routes = (req: Request, res: Response): void => {
    const route = req.path === '/' ? { allow: 'GET, HEAD', run: page } : req.path === '/requeue' ? { allow: 'POST', run: requeue } : null;
    if (!route) {
      res
        .status(404)
        .type('application/problem+json')
        .json(problem(404, 'NOT_FOUND', `no such page under ${OUTBOX_CONSOLE_PATH}`));
      return;
    }
    if (!route.allow.split(', ').includes(req.method)) {
      res.status(405).set('Allow', route.allow).type('application/problem+json').json(problem(405, 'METHOD_NOT_ALLOWED'));
      return;
    }
    // A POST got here through adminGuards' same-origin rule.
    route.run(req, res).catch((error: unknown) => fail(error, res));
  };

  app.use(OUTBOX_CONSOLE_PATH, ...adminGuards(config, { name: AREA, label: 'outbox' }, access), routes);
  logger.info({ path: OUTBOX_CONSOLE_PATH, readOnly: boardReadOnly }, 'Outbox console mounted');
  return true;
}
