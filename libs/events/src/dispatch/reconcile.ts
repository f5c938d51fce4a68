import type { EventCatalog } from '../catalog/event-catalog.js';
import { deliveryJobId } from '../delivery/delivery-id.js';
import type { JobSink } from '../delivery/job-sink.js';
import type { OutboxRepairs } from '../outbox/outbox-repairs.js';

/** Rows checked per page. */
const PAGE = 500;

/**
 * After Redis lost data (ops CLI `outbox:reconcile`): the rows dispatched
 * within the last `sinceMs` at least one of whose reactions' jobs no longer
 * exists, read page by page. Only meaningful for rows dispatched more recently
 * than completed jobs are retained (older jobs are gone by design). Rows
 * whose event type is unknown are skipped (they were dispatched by a version
 * that knew them; nothing can be re-derived). OutboxRepairs.redeliver hands
 * the ids found back to the relay.
 */
export async function eventsWithMissingJobs(
  sinceMs: number,
  { outbox, catalog, jobs }: { outbox: Pick<OutboxRepairs, 'dispatchedSince'>; catalog: EventCatalog; jobs: Pick<JobSink, 'exists'> },
): Promise<{ checked: number; missing: string[] }> {
  let checked = 0;
  const missing: string[] = [];
  for (let afterId: string | null = null; ;) {
    const rows = await outbox.dispatchedSince(sinceMs, afterId, PAGE);
    if (rows.length === 0) break;
    checked += rows.length;
    const { events } = catalog.loadAll(rows);
    const found = await Promise.all(
      events.map(async (event) => {
        for (const reaction of catalog.reactionsTo(event)) {
          if (!(await jobs.exists(reaction.job, deliveryJobId(reaction.name, event.eventId)))) return event.eventId;
        }
        return null;
      }),
    );
    missing.push(...found.filter((id): id is string => id !== null).sort());
    afterId = rows.at(-1)!.id;
  }
  return { checked, missing };
}
