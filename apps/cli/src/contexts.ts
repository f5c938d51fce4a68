import { HERALD_MODULES } from '@herald/contexts';
import { catalogOfModules } from '@herald/events';
import { jobRegistryOfModules } from '@herald/jobs';

/**
 * The event types, reactions and jobs of the contexts herald is made of, read
 * from their modules' declarations: the same catalog the apps find at boot,
 * without starting anything (the CLI opens only what a command needs). Its
 * reactions run without an instance (outbox:replay builds jobs with them).
 */
export const catalog = catalogOfModules(HERALD_MODULES);

/** Every queue and job, reactions' and scheduled: the same registry the API and the worker find at boot. */
export const registry = jobRegistryOfModules(HERALD_MODULES);

/** Every queue, sorted: what `queues:*` and `jobs:*` work on. */
export const QUEUE_NAMES: readonly string[] = registry.queueNames;

/** Every job name, sorted. */
export const JOB_NAMES: readonly string[] = registry.jobNames;
