import type { JobsOptions, WorkerOptions } from 'bullmq';
import { z } from 'zod';
import type { HeraldConfig } from '@herald/config';
import type { JobTarget } from '@herald/events';

const NAME = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * A queue a context declares. Its name is part of the Redis key space: NEVER
 * rename one (jobs waiting under the old name would be orphaned; add a new
 * queue instead).
 */
export interface QueueDefinition {
  readonly name: string;
  /** Worker options of this queue's consumers, from the configuration (a rate limit, fewer jobs at once). */
  readonly workerOptions?: (config: HeraldConfig) => Pick<WorkerOptions, 'limiter' | 'concurrency'>;
}

export function defineQueue(definition: QueueDefinition): QueueDefinition {
  if (!NAME.test(definition.name)) throw new Error(`queue name "${definition.name}": use letters, digits, "-" and "_"`);
  return Object.freeze({ ...definition });
}

/** Every job's data starts with these: which event caused it, and the request it came from. */
const envelope = {
  /** The event that caused the job; also the idempotency key of its consumer. */
  eventId: z.uuid(),
  correlationId: z.string().min(1).max(128),
};
type Envelope = typeof envelope;

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
    name: definition.name,
    queue: definition.queue,
    schema: z.strictObject({ ...definition.data, ...envelope }),
    ...(definition.options ? { options: definition.options } : {}),
  });
}

export class InvalidJobPayloadError extends Error {
  constructor(
    readonly jobName: string,
    readonly problems: string[],
  ) {
    super(`Invalid payload for job "${jobName}": ${problems.join('; ')}`);
    this.name = 'InvalidJobPayloadError';
  }
}

/** Validates job data read back from Redis; throws InvalidJobPayloadError with a clear reason. */
export function parseJobData<J extends AnyJobDefinition>(job: J, data: unknown): JobData<J> {
  const result = job.schema.safeParse(data);
  if (!result.success) {
    throw new InvalidJobPayloadError(
      job.name,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(data)'}: ${issue.message}`),
    );
  }
  return result.data as JobData<J>;
}
