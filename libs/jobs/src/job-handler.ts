import 'reflect-metadata';
import type { AnyJobDefinition, JobData } from './job-definition.js';
import type { JobContext } from './job-context.js';

/** A job handler as the worker runtime knows it. */
export interface JobHandlerDescriptor {
  readonly job: AnyJobDefinition;
  /** Where it was declared (class.method), for messages. */
  readonly declaredAt: string;
}

export interface BoundJobHandler extends JobHandlerDescriptor {
  readonly handle: (data: unknown, context: JobContext) => Promise<unknown>;
}

const HANDLERS = Symbol('herald:job-handlers');

interface StoredHandler {
  readonly job: AnyJobDefinition;
  readonly method: string | symbol;
}

/**
 * Declares the method that processes a job. Found by the worker runtime at
 * boot among the providers; the compiler rejects a method whose data type is
 * not the job's. Boot fails for a job some reaction queues that has no handler,
 * a job with two, or a handler whose job nothing queues.
 */
export function JobHandler<J extends AnyJobDefinition>(job: J) {
  return <M extends (data: JobData<J>, context: JobContext) => Promise<unknown>>(
    target: object,
    method: string | symbol,
    _descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const stored: StoredHandler[] = Reflect.getOwnMetadata(HANDLERS, target.constructor) ?? [];
    Reflect.defineMetadata(HANDLERS, [...stored, { job, method }], target.constructor);
  };
}

/** The job handlers of a provider instance, bound to it. */
export function boundJobHandlersOf(instance: object): BoundJobHandler[] {
  const providerClass = instance.constructor;
  const stored = (Reflect.getOwnMetadata(HANDLERS, providerClass) as StoredHandler[] | undefined) ?? [];
  return stored.map(({ job, method }) => {
    const fn = (instance as Record<string | symbol, (data: unknown, context: JobContext) => Promise<unknown>>)[method]!;
    return { job, declaredAt: `${providerClass.name}.${String(method)}`, handle: (data, context) => fn.call(instance, data, context) };
  });
}
