import type { DeadOutboxRow, DispatchLag, EventTypeCounts } from '@herald/events';
import { escapeHtml } from '../pages/html-page.js';

/** What the last write did, shown once after its redirect. Never free text from the URL: only these. */
export type ConsoleNotice = { readonly kind: 'requeued'; readonly count: number } | { readonly kind: 'stale' };

export interface OutboxConsoleView {
  readonly basePath: string;
  readonly boardPath: string;
  readonly readOnly: boolean;
  readonly pending: number;
  /** The pending count is Postgres's estimate (a backlog beyond what one reading counts row by row). */
  readonly pendingEstimated?: boolean;
  readonly oldestPendingAgeMs: number | null;
  readonly lag: DispatchLag | null;
  readonly lagSampleSize: number;
  readonly byEventType: readonly EventTypeCounts[];
  readonly recentWindowMs: number;
  readonly deadRows: readonly DeadOutboxRow[];
  readonly deadTotal: number;
  readonly notice: ConsoleNotice | null;
  readonly renderedAt: Date;
}

// Every value that reaches the page goes through escapeHtml: event types and errors come from stored rows.
export { escapeHtml };

/** A duration as an operator reads it: `850 ms`, `12.3 s`, `4m 05s`, `2h 07m`, `3d 04h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${pad(Math.floor((seconds % 3600) / 60))}m`;
  return `${Math.floor(seconds / 86_400)}d ${pad(Math.floor((seconds % 86_400) / 3600))}h`;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

function noticeHtml(notice: ConsoleNotice | null): string {
  if (!notice) return '';
  const text =
    notice.kind === 'stale'
      ? 'Nothing was requeued: that row is no longer dead (someone requeued it, or it was delivered). This page shows the current state.'
      : notice.count === 0
        ? 'Nothing was requeued: there were no dead rows.'
        : `Requeued ${plural(notice.count, 'dead row', 'dead rows')}: pending again, due now; the relay delivers them on its next run.`;
  return `<p id="notice" class="notice" role="status">${escapeHtml(text)}</p>`;
}

function summaryHtml(view: OutboxConsoleView): string {
  const lag = view.lag
    ? `median ${formatDuration(view.lag.medianMs)} · p95 ${formatDuration(view.lag.p95Ms)} · max ${formatDuration(view.lag.maxMs)}
       <small>(last ${plural(view.lag.sampled, 'dispatched row', 'dispatched rows')})</small>`
    : 'nothing dispatched yet';
  return `<section aria-labelledby="summary-title"><h2 id="summary-title">Now</h2>
<dl class="summary">
  <div><dt>Pending</dt><dd id="pending">${view.pendingEstimated ? `≈ ${view.pending}` : view.pending}</dd></div>
  <div><dt>Oldest pending</dt><dd id="oldest-pending">${view.oldestPendingAgeMs === null ? '—' : formatDuration(view.oldestPendingAgeMs)}</dd></div>
  <div><dt>Dead</dt><dd id="dead-total">${view.deadTotal}</dd></div>
  <div><dt>Dispatch lag <small>(row written → jobs acknowledged)</small></dt><dd id="dispatch-lag">${lag}</dd></div>
</dl></section>`;
}

function eventTypesHtml(view: OutboxConsoleView): string {
  const rows = view.byEventType
    .map(
      (counts) => `<tr data-event-type="${escapeHtml(counts.eventType)}"><th scope="row">${escapeHtml(counts.eventType)}</th>
  <td>${counts.pending}</td><td>${counts.dead}</td><td>${counts.dispatchedRecently}</td></tr>`,
    )
    .join('\n');
  return `<section aria-labelledby="types-title"><h2 id="types-title">By event type</h2>
<table id="event-types"><thead><tr><th scope="col">Event type</th><th scope="col">Pending</th><th scope="col">Dead</th>
  <th scope="col">Dispatched, last ${formatDuration(view.recentWindowMs)}</th></tr></thead>
<tbody>${rows || '<tr><td colspan="4">No pending or dead rows, nothing dispatched recently.</td></tr>'}</tbody></table></section>`;
}

function deadRowsHtml(view: OutboxConsoleView): string {
  const requeueOne = (row: DeadOutboxRow) =>
    view.readOnly
      ? ''
      : `<form method="post" action="${view.basePath}/requeue"><input type="hidden" name="id" value="${escapeHtml(row.id)}">
  <button type="submit" aria-label="Requeue ${escapeHtml(row.id)}">Requeue</button></form>`;
  const rows = view.deadRows
    .map(
      (row) => `<tr data-id="${escapeHtml(row.id)}"><td><code>${escapeHtml(row.id)}</code></td><td>${escapeHtml(row.eventType)}</td>
  <td>${row.attempts}</td><td><time datetime="${row.createdAt.toISOString()}">${row.createdAt.toISOString()}</time></td>
  <td><pre class="error">${escapeHtml(row.lastError ?? '')}</pre></td>${view.readOnly ? '' : `<td>${requeueOne(row)}</td>`}</tr>`,
    )
    .join('\n');
  const requeueAll =
    view.readOnly || view.deadTotal === 0
      ? ''
      : `<form method="post" action="${view.basePath}/requeue"><input type="hidden" name="all" value="dead">
  <button type="submit" id="requeue-all">Requeue all ${plural(view.deadTotal, 'dead row', 'dead rows')}</button></form>`;
  const shown = view.deadRows.length < view.deadTotal ? `<p>Oldest ${view.deadRows.length} shown of ${view.deadTotal}.</p>` : '';
  return `<section aria-labelledby="dead-title"><h2 id="dead-title">Dead rows</h2>
<p>The relay gave up on these after <code>OUTBOX_MAX_ATTEMPTS</code> attempts. Fix the cause (see the last error), then requeue.</p>
${requeueAll}${shown}
<table id="dead-rows"><thead><tr><th scope="col">Event id</th><th scope="col">Event type</th><th scope="col">Attempts</th>
  <th scope="col">Written</th><th scope="col">Last error</th>${view.readOnly ? '' : '<th scope="col"></th>'}</tr></thead>
<tbody>${rows || `<tr><td colspan="${view.readOnly ? 5 : 6}">No dead rows.</td></tr>`}</tbody></table></section>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;line-height:1.4;color:#1d232b}
header{display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}h1{margin:0}nav a{margin-right:12px}
.mode{padding:2px 8px;border-radius:4px;background:#eef1f5}.notice{padding:8px 12px;background:#e6f4ea;border-left:4px solid #2e7d32}
.summary{display:flex;flex-wrap:wrap;gap:16px}.summary div{border:1px solid #d5dae1;border-radius:6px;padding:8px 12px;min-width:160px}
dt{font-size:.85em;color:#55606e}dd{margin:4px 0 0;font-size:1.3em}small{font-size:.75em;color:#55606e}
table{border-collapse:collapse;width:100%;margin:8px 0 24px}th,td{border-bottom:1px solid #e3e7ec;padding:6px 8px;text-align:left;vertical-align:top}
pre.error{white-space:pre-wrap;word-break:break-word;margin:0;max-width:520px;font-size:.85em}form{display:inline;margin:0}`;

/** The outbox console: plain HTML, no script, every form a normal POST (works without JavaScript). */
export function renderOutboxConsole(view: OutboxConsoleView): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>herald outbox</title><style>${STYLE}</style></head>
<body><header><h1>Outbox</h1>
<span class="mode" id="mode">${view.readOnly ? 'read-only' : 'writable'}</span>
<nav><a href="${view.basePath}">Refresh</a><a href="${view.boardPath}">Queues (Bull Board)</a></nav></header>
${noticeHtml(view.notice)}
${summaryHtml(view)}
${eventTypesHtml(view)}
${deadRowsHtml(view)}
<footer><small>As of <time datetime="${view.renderedAt.toISOString()}">${view.renderedAt.toISOString()}</time>. Ages are measured by Postgres.</small></footer>
</body></html>`;
}
