import type { Job } from 'bullmq';
import { jobEnvelope, type AnyJobDefinition, type JobData } from '../definition/job-definition.js';
import type { DeclaredJobHandler, HandledJob } from '../definition/job-handler.js';
import { parseJobData } from '../definition/job-payload.js';
import type { ScheduledJobContext, ScheduledJobDefinition } from '../definition/scheduled-job.js';
import { JobHandlerRegistryError, type PairedJob } from '../registry/handler-pairing.js';
import { jobContext, type JobContext } from './job-context.js';

/**
 * A job the worker can run: its definition and its handler, paired once at
 * boot. Each kind carries the handler type of its own data, so a run never
 * asks which job it has or whether a handler exists.
 */
export type RunnableJob =
  | {
      readonly kind: 'queued';
      readonly job: AnyJobDefinition;
      readonly declaredAt: string;
      readonly handle: (data: JobData<AnyJobDefinition>, context: JobContext) => Promise<unknown>;
    }
  | {
      readonly kind: 'scheduled';
      readonly job: ScheduledJobDefinition;
      readonly declaredAt: string;
      readonly handle: (data: Record<string, never>, context: ScheduledJobContext) => Promise<unknown>;
    };

/** A handler declaration bound to the provider instance that declares it. */
export interface BoundHandler extends DeclaredJobHandler {
  readonly instance: object;
}

/** A paired job made runnable: its handler's method taken from its instance, checked to be a function. */
export function runnableJob({ job, handler }: PairedJob<BoundHandler>): RunnableJob {
  const method: unknown = Reflect.get(handler.instance, handler.method);
  if (typeof method !== 'function') throw new JobHandlerRegistryError([`${handler.declaredAt} is not a method`]);
  const handle = (data: unknown, context: unknown): Promise<unknown> => Promise.resolve(method.call(handler.instance, data, context));
  return runnableOf(job, handler.declaredAt, handle);
}

function runnableOf(job: HandledJob, declaredAt: string, handle: (data: unknown, context: unknown) => Promise<unknown>): RunnableJob {
  return job.kind === 'scheduled' ? { kind: 'scheduled', job, declaredAt, handle } : { kind: 'queued', job, declaredAt, handle };
}

/** One attempt, ready to run: the handler's call on validated data, and the correlation it runs under. */
export interface PreparedRun {
  readonly correlation: { readonly correlationId: string; readonly causationId?: string };
  readonly call: () => Promise<unknown>;
}

/**
 * Reads a BullMQ job's data through its definition's schema (the data comes
 * from Redis) and prepares the handler's call; throws InvalidJobPayloadError.
 */
export function prepareRun(runnable: RunnableJob, job: Job): PreparedRun {
  if (runnable.kind === 'scheduled') {
    const data = parseJobData(runnable.job, job.data);
    const context: ScheduledJobContext = { jobId: job.id ?? '', attempt: job.attemptsMade + 1 };
    // A scheduled run carries no data and no event: it is its own correlation.
    return { correlation: { correlationId: job.id ?? job.name }, call: () => runnable.handle(data, context) };
  }
  const data = parseJobData(runnable.job, job.data);
  // The job's schema checked the whole data; the envelope's own schema gives its two fields their types.
  const envelope = jobEnvelope.parse(data);
  return {
    correlation: { correlationId: envelope.correlationId, causationId: envelope.eventId },
    call: () => runnable.handle(data, jobContext(job, envelope)),
  };
}
