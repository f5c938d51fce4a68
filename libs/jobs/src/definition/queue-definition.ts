import type { WorkerOptions } from 'bullmq';
import type { HeraldConfig } from '@herald/config';

/** What a queue's or a job's name may be: it is part of Redis keys and job ids. */
export const NAME = /^[A-Za-z0-9_-]{1,100}$/;

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

/**
 * The queue of the platform's and the contexts' scheduled upkeep. One job at
 * a time per worker process: upkeep is never urgent, and must not take
 * connections from the jobs users wait for. NEVER rename it.
 */
export const MaintenanceQueue = defineQueue({ name: 'maintenance', workerOptions: () => ({ concurrency: 1 }) });
