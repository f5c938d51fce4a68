import type { Request } from 'express';
import { crossSiteWriteRefusal } from './admin-form.js';
import { noticeOf, parseRequeueForm } from './outbox-console-requests.js';
import { escapeHtml, formatDuration, renderOutboxConsole, type OutboxConsoleView } from './outbox-console-page.js';

const ID = '0190a000-0000-7000-8000-000000000001';

const view = (overrides: Partial<OutboxConsoleView> = {}): OutboxConsoleView => ({
  basePath: '/admin/outbox',
  boardPath: '/admin/queues',
  readOnly: false,
  pending: 2,
  oldestPendingAgeMs: 65_000,
  lag: { sampled: 3, medianMs: 12, p95Ms: 40, maxMs: 2100 },
  lagSampleSize: 1000,
  byEventType: [{ eventType: 'users.UserRegistered', pending: 2, dead: 1, dispatchedRecently: 7 }],
  recentWindowMs: 3_600_000,
  deadRows: [
    { id: ID, eventType: 'users.UserRegistered', attempts: 10, lastError: 'reaction refused', createdAt: new Date('2030-01-02T03:04:05Z') },
  ],
  deadTotal: 1,
  notice: null,
  renderedAt: new Date('2030-01-02T03:05:00Z'),
  ...overrides,
});

describe('outbox console', () => {
  describe('parseRequeueForm', () => {
    it('takes one event id, in any case, as a lower-case id', () => {
      expect(parseRequeueForm(new URLSearchParams({ id: ID.toUpperCase() }))).toEqual({ id: ID });
    });

    it('takes all=dead as every dead row', () => {
      expect(parseRequeueForm(new URLSearchParams({ all: 'dead' }))).toEqual({ allDead: true });
    });

    it.each([
      ['an id that is no UUID', 'id=42', /UUID/],
      ['an id with SQL in it', `id=${encodeURIComponent(`${ID}' OR 1=1 --`)}`, /UUID/],
      ['two ids', `id=${ID}&id=${ID}`, /exactly one/],
      ['an id and all', `id=${ID}&all=dead`, /exactly one/],
      ['nothing', '', /exactly one/],
      ['all with another value', 'all=pending', /"dead"/],
      ['an unknown field', `id=${ID}&status=dead`, /unknown field "status"/],
    ])('refuses %s with a reason', (_, body, reason) => {
      const result = parseRequeueForm(new URLSearchParams(body));
      expect(typeof result).toBe('string');
      expect(result).toMatch(reason);
    });
  });

  describe('noticeOf', () => {
    it('reads the count of requeued rows and the stale marker, and nothing else', () => {
      expect(noticeOf('/admin/outbox?requeued=3')).toEqual({ kind: 'requeued', count: 3 });
      expect(noticeOf('/admin/outbox?stale=1')).toEqual({ kind: 'stale' });
      expect(noticeOf('/admin/outbox')).toBeNull();
      expect(noticeOf('/admin/outbox?requeued=<b>hi</b>')).toBeNull();
      expect(noticeOf('/admin/outbox?requeued=99999999999999')).toBeNull();
    });
  });

  describe('renderOutboxConsole', () => {
    it('escapes every stored value: event types and errors cannot inject markup', () => {
      const hostile = `<script>alert("x")</script>'&`;
      const html = renderOutboxConsole(
        view({
          byEventType: [{ eventType: hostile, pending: 0, dead: 1, dispatchedRecently: 0 }],
          deadRows: [{ id: ID, eventType: hostile, attempts: 3, lastError: hostile, createdAt: new Date() }],
        }),
      );
      expect(html).not.toContain('<script>');
      expect(html).toContain(escapeHtml(hostile));
      expect(escapeHtml(hostile)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;');
    });

    it('offers requeue forms only when writable', () => {
      const writable = renderOutboxConsole(view());
      expect(writable).toContain('<form method="post" action="/admin/outbox/requeue">');
      expect(writable).toContain(`name="id" value="${ID}"`);
      expect(writable).toContain('Requeue all 1 dead row');
      expect(writable).toContain('id="mode">writable<');

      const readOnly = renderOutboxConsole(view({ readOnly: true }));
      expect(readOnly).not.toContain('<form');
      expect(readOnly).toContain('id="mode">read-only<');
      expect(readOnly).toContain('reaction refused');
    });

    it('shows the backlog, the lag, the counts per event type and a link to Bull Board', () => {
      const html = renderOutboxConsole(view());
      expect(html).toContain('<dd id="pending">2</dd>');
      expect(html).toContain('<dd id="oldest-pending">1m 05s</dd>');
      expect(html).toContain('<dd id="dead-total">1</dd>');
      expect(html).toMatch(/median 12 ms · p95 40 ms · max 2\.1 s/);
      expect(html).toMatch(/<th scope="row">users\.UserRegistered<\/th>\s*<td>2<\/td><td>1<\/td><td>7<\/td>/);
      expect(html).toContain('href="/admin/queues"');
      expect(html).not.toContain('<script');
    });

    it('says when there is nothing pending, dead or dispatched', () => {
      const html = renderOutboxConsole(
        view({ pending: 0, oldestPendingAgeMs: null, lag: null, byEventType: [], deadRows: [], deadTotal: 0 }),
      );
      expect(html).toContain('<dd id="oldest-pending">—</dd>');
      expect(html).toContain('nothing dispatched yet');
      expect(html).toContain('No dead rows.');
      expect(html).not.toContain('Requeue all');
    });

    it('shows the notice of the last write', () => {
      expect(renderOutboxConsole(view({ notice: { kind: 'requeued', count: 2 } }))).toContain('Requeued 2 dead rows');
      expect(renderOutboxConsole(view({ notice: { kind: 'requeued', count: 0 } }))).toContain('there were no dead rows');
      expect(renderOutboxConsole(view({ notice: { kind: 'stale' } }))).toContain('no longer dead');
    });
  });

  describe('formatDuration', () => {
    it.each([
      [850, '850 ms'],
      [12_340, '12.3 s'],
      [245_000, '4m 05s'],
      [7_620_000, '2h 07m'],
      [273_600_000, '3d 04h'],
    ])('%d ms reads %s', (ms, text) => {
      expect(formatDuration(ms)).toBe(text);
    });
  });

  describe('crossSiteWriteRefusal', () => {
    function run(headers: Record<string, string>, host = '127.0.0.1:3000'): string | null {
      const req = { get: (name: string) => headers[name.toLowerCase()], host } as unknown as Request;
      return crossSiteWriteRefusal(req);
    }

    it('lets a same-origin browser request through', () => {
      expect(run({ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:3000' })).toBeNull();
      expect(run({ origin: 'http://127.0.0.1:3000' })).toBeNull();
      expect(run({ origin: 'https://ops.example.com' }, 'ops.example.com')).toBeNull();
    });

    it.each([
      ['a cross-site form', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
      ['a same-site but other-origin page', { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:4000' }],
      ['a foreign Origin without fetch metadata', { origin: 'https://evil.example' }],
      ['an opaque Origin', { origin: 'null' }],
      ['no Origin and no fetch metadata', {}],
    ])('refuses %s, saying why', (_, headers) => {
      expect(run(headers)).toMatch(/refused|must come from/);
    });
  });
});
