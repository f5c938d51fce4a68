import { parseEventId } from '@herald/events';
import type { ConsoleNotice } from './outbox-console-page.js';

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
