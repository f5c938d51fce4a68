import { deriveJobId, jobQueue, type QueueName } from '@herald/jobs';
import type { EventCatalog } from './event-catalog.js';
import type { ClaimedRow } from './outbox-store.js';

/** Whether a job with this id exists in Redis, in any state. */
export type JobExists = (queue: QueueName, jobId: string) => Promise<boolean>;

/**
 * After Redis lost data: the dispatched rows at least one of whose saga jobs
 * no longer exists. Only meaningful for rows dispatched more recently than
 * completed jobs are retained (older jobs are gone by design).
 * Rows whose event type is unknown are skipped (they were dispatched by a
 * version that knew them; nothing can be re-derived).
 */
export async function eventsWithMissingJobs(rows: readonly ClaimedRow[], catalog: EventCatalog, jobExists: JobExists): Promise<string[]> {
  const missing: string[] = [];
  await Promise.all(
    rows.map(async (row) => {
      let event;
      try {
        event = catalog.load(row);
      } catch {
        return;
      }
      for (const saga of catalog.sagasFor(event)) {
        const job = saga.toJob(event);
        if (!(await jobExists(jobQueue[job.name], deriveJobId(saga.name, event.eventId)))) {
          missing.push(row.id);
          return;
        }
      }
    }),
  );
  return missing.sort();
}
