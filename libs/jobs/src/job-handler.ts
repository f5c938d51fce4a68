import 'reflect-metadata';
import type { AnyJobDefinition, JobData } from './job-definition.js';
import type { JobContext } from './job-context.js';
import type { ScheduledJobContext, ScheduledJobDefinition } from './scheduled-job.js';

/** A job a handler can serve: one a reaction queues, or one the worker runs on a schedule. */
export type HandledJob = AnyJobDefinition | ScheduledJobDefinition;

/** The method type a job's handler must have. */
export type JobHandlerMethod<J extends HandledJob> = J extends ScheduledJobDefinition
  ? (data: Record<string, never>, context: ScheduledJobContext) => Promise<unknown>
  : J extends AnyJobDefinition
    ? (data: JobData<J>, context: JobContext) => Promise<unknown>
    : never;

/** A job handler as the worker runtime knows it. */
export interface JobHandlerDescriptor {
  readonly job: HandledJob;
  /** Where it was declared (class.method), for messages. */
  readonly declaredAt: string;
}

export interface BoundJobHandler extends JobHandlerDescriptor {
  readonly handle: (data: unknown, context: JobContext | ScheduledJobContext) => Promise<unknown>;
}

const HANDLERS = Symbol('herald:job-handlers');

interface StoredHandler {
  readonly job: HandledJob;
  readonly method: string | symbol;
}

/**
 * Declares the method that processes a job. Found by the worker runtime at
 * boot among the providers; the compiler rejects a method whose data type is
 * not the job's. Boot fails for a job some reaction queues that has no handler,
 * a job with two, or a handler whose job nothing queues and no schedule runs.
 */
export function JobHandler<J extends HandledJob>(job: J) {
  return <M extends JobHandlerMethod<J>>(target: object, method: string | symbol, _descriptor: TypedPropertyDescriptor<M>): void => {
    const stored: StoredHandler[] = Reflect.getOwnMetadata(HANDLERS, target.constructor) ?? [];
    Reflect.defineMetadata(HANDLERS, [...stored, { job, method }], target.constructor);
  };
}

/** The job handlers of a provider instance, bound to it. */
export function boundJobHandlersOf(instance: object): BoundJobHandler[] {
  const providerClass = instance.constructor;
  const stored = (Reflect.getOwnMetadata(HANDLERS, providerClass) as StoredHandler[] | undefined) ?? [];
  return stored.map(({ job, method }) => {
    const fn = (instance as Record<string | symbol, BoundJobHandler['handle']>)[method]!;
    return { job, declaredAt: `${providerClass.name}.${String(method)}`, handle: (data, context) => fn.call(instance, data, context) };
  });
}
