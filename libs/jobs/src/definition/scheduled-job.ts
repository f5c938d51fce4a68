import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { HeraldConfig } from '@herald/config';
import { NAME, type QueueDefinition } from './queue-definition.js';

/** The data of every scheduled run: none (anything else in it is refused). */
const NO_DATA = z.strictObject({});

/**
 * A job that no event causes: the worker runs it on a schedule (pruning,
 * upkeep). Each worker registers its schedule with BullMQ at boot under the
 * job's name (`upsertJobScheduler`), so a deployment of many workers has ONE
 * schedule, and one run at a time per tick, whatever the number of workers.
 * Its name is the schedule's id in Redis: NEVER rename one.
 */
export interface ScheduledJobDefinition<Name extends string = string> {
  readonly kind: 'scheduled';
  readonly name: Name;
  readonly queue: QueueDefinition;
  /** Milliseconds between runs, from the configuration; `null` turns the schedule off (it is removed at boot). */
  readonly everyMs: (config: HeraldConfig) => number | null;
  /** A scheduled job carries no data: what it does comes from the configuration when it runs. */
  readonly schema: typeof NO_DATA;
  /** Options of every run (attempts, retention of finished runs), over the configured defaults. */
  readonly options?: Omit<JobsOptions, 'jobId' | 'repeat' | 'delay' | 'deduplication'>;
}

/** What a scheduled job's handler gets besides its (empty) data. */
export interface ScheduledJobContext {
  readonly jobId: string;
  /** 1 for the first run of this tick, 2 for its first retry, ... */
  readonly attempt: number;
}

export function defineScheduledJob<const Name extends string>(definition: {
  name: Name;
  queue: QueueDefinition;
  everyMs: (config: HeraldConfig) => number | null;
  options?: ScheduledJobDefinition['options'];
}): ScheduledJobDefinition<Name> {
  if (!NAME.test(definition.name)) throw new Error(`scheduled job name "${definition.name}": use letters, digits, "-" and "_"`);
  return Object.freeze({
    kind: 'scheduled' as const,
    name: definition.name,
    queue: definition.queue,
    everyMs: definition.everyMs,
    schema: NO_DATA,
    ...(definition.options ? { options: definition.options } : {}),
  });
}

export function isScheduledJob(job: object): job is ScheduledJobDefinition {
  return 'kind' in job && job.kind === 'scheduled';
}
