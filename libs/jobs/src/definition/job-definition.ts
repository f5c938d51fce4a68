import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { JobTarget } from '@herald/events';
import { NAME, type QueueDefinition } from './queue-definition.js';

/** Every job's data starts with these: which event caused it, and the request it came from. */
const envelope = {
  /** The event that caused the job; also the idempotency key of its consumer. */
  eventId: z.uuid(),
  correlationId: z.string().min(1).max(128),
};
type Envelope = typeof envelope;

/**
 * The fields the platform adds to every job's data, on their own: what the
 * runtime reads of any job (whatever its shape, which only its handler knows).
 */
export const jobEnvelope = z.object(envelope);
export type JobEnvelope = z.infer<typeof jobEnvelope>;

/**
 * A job a context declares: name, queue, the zod shape of its own fields and
 * default options. Its data is `{ eventId, correlationId, ...fields }`, ids
 * only (never an address, password or token: jobs live in Redis and on the
 * board). The name is stored with every job: NEVER rename one, and never take
 * it from a class name.
 */
export interface JobDefinition<Name extends string = string, Shape extends z.ZodRawShape = z.ZodRawShape> extends JobTarget<
  z.infer<z.ZodObject<Shape>>
> {
  readonly kind: 'queued';
  readonly name: Name;
  readonly queue: QueueDefinition;
  /** The whole job data, checked when a worker reads it back from Redis. */
  readonly schema: z.ZodObject<Shape & Envelope, z.core.$strict>;
  /** Options every job of this kind gets (attempts, backoff), over the configured defaults. */
  readonly options?: JobsOptions;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any job, whatever its shape
export type AnyJobDefinition = JobDefinition<string, any>;

/** The data a job's handler receives. */
export type JobData<J extends AnyJobDefinition> = z.infer<J['schema']>;

export function defineJob<const Name extends string, Shape extends z.ZodRawShape>(definition: {
  name: Name;
  queue: QueueDefinition;
  data: Shape;
  options?: JobsOptions;
}): JobDefinition<Name, Shape> {
  if (!NAME.test(definition.name)) throw new Error(`job name "${definition.name}": use letters, digits, "-" and "_"`);
  const overlap = Object.keys(definition.data).filter((key) => key in envelope);
  if (overlap.length > 0) throw new Error(`job "${definition.name}": ${overlap.join(', ')} are added by the platform`);
  return Object.freeze({
    kind: 'queued' as const,
    name: definition.name,
    queue: definition.queue,
    schema: z.strictObject({ ...definition.data, ...envelope }),
    ...(definition.options ? { options: definition.options } : {}),
  });
}

/** Whether an events platform job target is a job defined with defineJob (it carries its queue and schema). */
export function isJobDefinition(target: JobTarget): target is AnyJobDefinition {
  return 'kind' in target && target.kind === 'queued';
}
