import type { Job } from 'bullmq';
import { contextOf, inSpan, SpanKind } from '@herald/observability';
import { traceparentOfJob } from '../producer/trace-metadata.js';

/** Runs one attempt in a span that continues the trace of the event that queued it (carried in the job's options). */
export function inJobSpan<T>(queue: string, job: Job, work: () => Promise<T>): Promise<T> {
  return inSpan(
    `job ${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextOf(traceparentOfJob(job)),
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': queue,
        'messaging.message.id': job.id ?? '',
        'herald.job.attempt': job.attemptsMade + 1,
      },
    },
    work,
  );
}
