import { deliveryJobId } from './delivery-id.js';
import type { EventCatalog } from '../catalog/event-catalog.js';
import type { JobSink } from './job-sink.js';
import type { ClaimedRow } from '../outbox/outbox-store.js';

/**
 * After Redis lost data: the dispatched rows at least one of whose reactions'
 * jobs no longer exists. Only meaningful for rows dispatched more recently than
 * completed jobs are retained (older jobs are gone by design).
 * Rows whose event type is unknown are skipped (they were dispatched by a
 * version that knew them; nothing can be re-derived).
 */
export async function eventsWithMissingJobs(
  rows: readonly ClaimedRow[],
  catalog: EventCatalog,
  sink: Pick<JobSink, 'exists'>,
): Promise<string[]> {
  const missing: string[] = [];
  await Promise.all(
    rows.map(async (row) => {
      let event;
      try {
        event = catalog.load(row);
      } catch {
        return;
      }
      for (const reaction of catalog.reactionsTo(event)) {
        if (!(await sink.exists(reaction.job, deliveryJobId(reaction.name, event.eventId)))) {
          missing.push(row.id);
          return;
        }
      }
    }),
  );
  return missing.sort();
}
