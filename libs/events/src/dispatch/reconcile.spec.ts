import { EventCatalog } from '../catalog/event-catalog.js';
import type { BoundReaction } from '../catalog/reaction.js';
import { deliveryJobId } from '../delivery/delivery-id.js';
import type { JobTarget } from '../delivery/job-sink.js';
import { DomainEvent } from '../domain/domain-event.js';
import type { OutboxEventRow } from '../outbox/outbox-event-row.js';
import { eventsWithMissingJobs } from './reconcile.js';

class ThingCreated extends DomainEvent<{ name: string }> {
  static readonly eventType = 'test.ThingCreated';
  static readonly schemaVersion = 1;
}

const reaction = (name: string): BoundReaction => ({
  name,
  event: ThingCreated,
  job: { name: `${name}-job`, queue: { name: 'things' } },
  mintsCredentials: false,
  declaredAt: `Test.${name}`,
  toJobInput: () => ({}),
});
const catalog = new EventCatalog([{ name: 'things', events: [ThingCreated] }], [reaction('ship'), reaction('audit')]);

const rowOf = (i: number, eventType = ThingCreated.eventType): OutboxEventRow => ({
  id: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  eventType,
  schemaVersion: 1,
  aggregateId: `0190a000-0000-7000-9000-${String(i).padStart(12, '0')}`,
  payload: { name: `thing-${i}` },
  correlationId: `c-${i}`,
  causationId: null,
  traceparent: null,
  occurredAt: new Date(Date.UTC(2025, 0, 10, 0, i)),
  attempts: 0,
});

/** Dispatched rows in memory, paged by id like OutboxRepairs.dispatchedSince; records each page's arguments. */
function dispatched(rows: OutboxEventRow[]) {
  const pages: { sinceMs: number; afterId: string | null }[] = [];
  return {
    pages,
    async dispatchedSince(sinceMs: number, afterId: string | null, limit: number) {
      pages.push({ sinceMs, afterId });
      return rows.filter((row) => afterId === null || row.id > afterId).slice(0, limit);
    },
  };
}

/** Redis holding these jobs (by job id). */
const redisWith = (jobIds: string[]) => ({ exists: async (_target: JobTarget, jobId: string) => jobIds.includes(jobId) });
const bothJobsOf = (row: OutboxEventRow) => [deliveryJobId('ship', row.id), deliveryJobId('audit', row.id)];

describe(eventsWithMissingJobs.name, () => {
  it('finds the dispatched events at least one of whose jobs is gone, sorted, and counts every row checked', async () => {
    const rows = [rowOf(1), rowOf(2), rowOf(3)];
    const jobs = redisWith([...bothJobsOf(rows[0]!), deliveryJobId('ship', rows[1]!.id)]); // row 2 lost its audit job, row 3 both

    const result = await eventsWithMissingJobs(3_600_000, { outbox: dispatched(rows), catalog, jobs });

    expect(result).toEqual({ checked: 3, missing: [rows[1]!.id, rows[2]!.id] });
  });

  it('skips rows of an event type it does not know: nothing can be derived from them', async () => {
    const rows = [rowOf(1, 'test.ThingRenamed'), rowOf(2)];

    const result = await eventsWithMissingJobs(3_600_000, { outbox: dispatched(rows), catalog, jobs: redisWith([]) });

    expect(result).toEqual({ checked: 2, missing: [rows[1]!.id] });
  });

  it('reads the window page by page, each after the last id of the one before, until a page is empty', async () => {
    const rows = Array.from({ length: 501 }, (_, i) => rowOf(i + 1));
    const outbox = dispatched(rows);

    const result = await eventsWithMissingJobs(60_000, { outbox, catalog, jobs: redisWith(rows.flatMap(bothJobsOf)) });

    expect(result).toEqual({ checked: 501, missing: [] });
    expect(outbox.pages).toEqual([
      { sinceMs: 60_000, afterId: null },
      { sinceMs: 60_000, afterId: rows[499]!.id },
      { sinceMs: 60_000, afterId: rows[500]!.id },
    ]);
  });
});
