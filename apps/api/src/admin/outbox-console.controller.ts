import { All, Controller, Get, Header, HttpCode, Logger, type OnApplicationBootstrap, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiConsumes, ApiExcludeEndpoint, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { HeraldConfig } from '@herald/config';
import { OutboxQueries, OutboxRepairs, OutboxRowError } from '@herald/events';
import { ProblemException } from '../http/problem.exception.js';
import { ApiProblems } from '../openapi/index.js';
import { HtmlAnswer } from '../pages/html-page.js';
import { BULL_BOARD_PATH, OUTBOX_CONSOLE_AREA, OUTBOX_CONSOLE_PATH } from './admin-access.js';
import { AdminAccessGuard, AdminAreaOf } from './admin-access.guard.js';
import { FormBodyError, readFormBody } from './admin-form.js';
import { renderOutboxConsole } from './outbox-console-page.js';
import { noticeOf, parseRequeueForm } from './outbox-console-requests.js';

/** Dead rows listed on the page (oldest first); the count above the list covers them all. */
const DEAD_ROWS_SHOWN = 100;
/** The window of dispatched rows counted per event type: an index range, not the table. */
const RECENT_WINDOW_MS = 60 * 60_000;
/** Dispatch lag is taken over this many rows dispatched last. */
const LAG_SAMPLE_SIZE = 1000;

/** Stricter than the app-wide policy: this page runs no script and posts only to itself. */
const CONSOLE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** What every route of the console can answer before its handler runs (AdminAccessGuard). */
const ACCESS_PROBLEMS = ['UNAUTHENTICATED', 'TOO_MANY_REQUESTS', 'NOT_FOUND'] as const;

const REQUEUE_FORM = {
  description: 'One dead row (`id=<event id>`) or every dead row (`all=dead`), nothing else',
  schema: {
    oneOf: [
      {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: { type: 'string', format: 'uuid', description: 'The outbox event id of a dead row' } },
      },
      { type: 'object', required: ['all'], additionalProperties: false, properties: { all: { type: 'string', enum: ['dead'] } } },
    ],
  },
} as const;

/**
 * The operator's page at /admin/outbox: backlog, dispatch lag, counts per
 * event type, dead rows with their error, and (unless read-only) requeue.
 * Server-rendered, no script: reading and requeueing work without JavaScript.
 *
 * Same credentials, throttle and read-only rule as Bull Board (AdminAccessGuard
 * on every route, the unknown paths and methods below included, so nothing
 * under /admin/outbox answers without credentials). Writes also need a
 * same-origin request: Basic credentials are sent by the browser whoever made
 * it send the request. Errors are the API's problem+json (ProblemDetailsFilter).
 */
@ApiTags('admin')
@ApiBasicAuth('admin')
@Controller(OUTBOX_CONSOLE_PATH)
@AdminAreaOf(OUTBOX_CONSOLE_AREA)
@UseGuards(AdminAccessGuard)
export class OutboxConsoleController implements OnApplicationBootstrap {
  private readonly logger = new Logger(OutboxConsoleController.name);

  constructor(
    private readonly config: HeraldConfig,
    private readonly queries: OutboxQueries,
    private readonly repairs: OutboxRepairs,
  ) {}

  onApplicationBootstrap(): void {
    const { user, password, readOnly } = this.config.admin;
    if (user && password) this.logger.log({ msg: 'Outbox console served', path: OUTBOX_CONSOLE_PATH, readOnly });
    else
      this.logger.warn({ msg: 'Outbox console is not served: set ADMIN_USER and ADMIN_PASSWORD to enable it', path: OUTBOX_CONSOLE_PATH });
  }

  /** The console page (HTML). After a requeue, `?requeued=<n>` or `?stale=1` shows what it did. */
  @Get()
  @HtmlAnswer()
  @Header('content-security-policy', CONSOLE_CSP)
  @ApiOkResponse({ description: 'The console page', content: { 'text/html': {} } })
  @ApiProblems(...ACCESS_PROBLEMS)
  async page(@Req() req: Request): Promise<string> {
    const [backlog, byEventType, lag, deadRows] = await Promise.all([
      this.queries.backlog(),
      this.queries.countsByEventType(RECENT_WINDOW_MS),
      this.queries.dispatchLag(LAG_SAMPLE_SIZE),
      this.queries.deadRows(DEAD_ROWS_SHOWN),
    ]);
    return renderOutboxConsole({
      basePath: OUTBOX_CONSOLE_PATH,
      boardPath: BULL_BOARD_PATH,
      readOnly: this.config.admin.readOnly,
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
  }

  /**
   * Requeues one dead row or all of them (the page's forms), then sends the
   * browser back to the page (303) with a notice. A row that is no longer dead
   * (requeued from another tab, the CLI) or unknown sends back with `?stale=1`.
   */
  @Post('requeue')
  @HttpCode(303)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody(REQUEUE_FORM)
  @ApiResponse({
    status: 303,
    description: 'Back to the page: `?requeued=<n>`, or `?stale=1` when the row was no longer dead',
    headers: { Location: { description: 'The console page with its notice', required: true, schema: { type: 'string' } } },
  })
  @ApiProblems(...ACCESS_PROBLEMS, 'VALIDATION_FAILED', 'CROSS_SITE_WRITE', 'READ_ONLY', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE')
  async requeue(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const request = parseRequeueForm(await this.readForm(req));
    if (typeof request === 'string') throw new ProblemException('VALIDATION_FAILED', request);
    const operator = this.config.admin.user;
    try {
      const rows = await this.repairs.requeue('id' in request ? { ids: [request.id] } : { allDead: true });
      this.logger.log({
        msg: 'outbox console requeued dead rows',
        operator,
        requeued: rows.map((row) => ({ id: row.id, eventType: row.eventType, attempts: row.previousAttempts })),
      });
      res.location(`${OUTBOX_CONSOLE_PATH}?requeued=${rows.length}`);
    } catch (error) {
      // Unknown, or no longer dead: show the current state.
      if (!(error instanceof OutboxRowError)) throw error;
      this.logger.log({ msg: 'outbox console requeue found nothing to requeue', operator, reason: error.message });
      res.location(`${OUTBOX_CONSOLE_PATH}?stale=1`);
    }
  }

  /** Any other method on the page (the guard has let it through: writable, same origin). */
  @All()
  @ApiExcludeEndpoint()
  pageOtherMethods(): never {
    throw new ProblemException('METHOD_NOT_ALLOWED', 'The console page is read with GET.', { Allow: 'GET, HEAD' });
  }

  /** Any other method on the requeue path. */
  @All('requeue')
  @ApiExcludeEndpoint()
  requeueOtherMethods(): never {
    throw new ProblemException('METHOD_NOT_ALLOWED', 'Requeue is a POST of the console form.', { Allow: 'POST' });
  }

  /** Every other path under /admin/outbox: behind the guard too, so it answers 401 without credentials, 404 with them. */
  @All('*path')
  @ApiExcludeEndpoint()
  unknownPath(): never {
    throw new ProblemException('NOT_FOUND', `no such page under ${OUTBOX_CONSOLE_PATH}`);
  }

  private async readForm(req: Request): Promise<URLSearchParams> {
    try {
      return await readFormBody(req);
    } catch (error) {
      if (!(error instanceof FormBodyError)) throw error;
      throw new ProblemException(error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'UNSUPPORTED_MEDIA_TYPE', error.message);
    }
  }
}
