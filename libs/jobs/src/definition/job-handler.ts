import 'reflect-metadata';
import type { AnyJobDefinition, JobData } from './job-definition.js';
import type { ScheduledJobContext, ScheduledJobDefinition } from './scheduled-job.js';
import type { JobContext } from '../runtime/job-context.js';

/** A job a handler can serve: one a reaction queues, or one the worker runs on a schedule. */
export type HandledJob = AnyJobDefinition | ScheduledJobDefinition;

/** The method type a job's handler must have. */
export type JobHandlerMethod<J extends HandledJob> = J extends ScheduledJobDefinition
  ? (data: Record<string, never>, context: ScheduledJobContext) => Promise<unknown>
  : J extends AnyJobDefinition
    ? (data: JobData<J>, context: JobContext) => Promise<unknown>
    : never;

/** A @JobHandler as its class declares it. */
export interface DeclaredJobHandler {
  readonly job: HandledJob;
  readonly method: string | symbol;
  /** Where it was declared (class.method), for messages. */
  readonly declaredAt: string;
}

const HANDLERS = Symbol('herald:job-handlers');

/**
 * Declares the method that processes a job. Found at boot among the providers
 * (the job registry, the worker runtime); the compiler rejects a method whose
 * data type is not the job's. The worker does not start for a job some
 * reaction queues that has no handler, a job with two, or a handler whose job
 * nothing queues and no schedule runs.
 */
export function JobHandler<J extends HandledJob>(job: J) {
  return <M extends JobHandlerMethod<J>>(target: object, method: string | symbol, _descriptor: TypedPropertyDescriptor<M>): void => {
    const declared: Omit<DeclaredJobHandler, 'declaredAt'>[] = Reflect.getOwnMetadata(HANDLERS, target.constructor) ?? [];
    Reflect.defineMetadata(HANDLERS, [...declared, { job, method }], target.constructor);
  };
}

/** The job handlers a provider class declares (none for most classes). */
export function jobHandlersOf(providerClass: { readonly name: string }): DeclaredJobHandler[] {
  const declared = (Reflect.getOwnMetadata(HANDLERS, providerClass) as Omit<DeclaredJobHandler, 'declaredAt'>[] | undefined) ?? [];
  return declared.map(({ job, method }) => ({ job, method, declaredAt: `${providerClass.name}.${String(method)}` }));
}
