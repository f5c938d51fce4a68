import { CONTEXT_MODULES } from '@herald/contexts';
import { catalogOfModules } from '@herald/events';

/**
 * The event types, reactions and jobs of the contexts herald is made of, read
 * from their modules' declarations: the same catalog the apps find at boot,
 * without starting anything (the CLI opens only what a command needs). Its
 * reactions run without an instance (outbox:replay builds jobs with them).
 */
export const catalog = catalogOfModules(CONTEXT_MODULES);

/** Every queue the contexts' jobs use, sorted. */
export const QUEUE_NAMES: readonly string[] = [...new Set(catalog.jobs.map((job) => job.queue.name))].sort();

/** Every job name the contexts declare, sorted. */
export const JOB_NAMES: readonly string[] = catalog.jobs.map((job) => job.name).sort();
