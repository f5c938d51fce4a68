import type { JobTarget } from '@herald/events';
import { isJobDefinition } from '../definition/job-definition.js';
import type { DeclaredJobHandler, HandledJob } from '../definition/job-handler.js';
import type { QueueDefinition } from '../definition/queue-definition.js';
import { isScheduledJob } from '../definition/scheduled-job.js';

/** The declarations of queues and jobs do not fit together: the app does not start, naming what is wrong. */
export class JobRegistryError extends Error {
  constructor(readonly problems: string[]) {
    super(`Job registry is inconsistent:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'JobRegistryError';
  }
}

/**
 * Every queue and every job herald has: the jobs the reactions queue (the
 * event catalog's) and the jobs the worker runs on a schedule (a @JobHandler
 * of a defineScheduledJob), with their queues. It names no context: it is
 * found from their declarations, the same way in the API, the worker
 * (JobRegistryExplorer) and the CLI (jobRegistryOfModules). It is the only
 * list of queues: Bull Board, the `herald_queue_jobs` gauge (and so the
 * failed-jobs alert), the CLI's `queues:*` and `jobs:*` and the worker's
 * consumers all read it, so a queue no reaction feeds (`maintenance`) is
 * shown and served like any other.
 */
export class JobRegistry {
  private constructor(
    /** Sorted by name. */
    readonly queues: readonly QueueDefinition[],
    /** Sorted by name. */
    readonly jobs: readonly HandledJob[],
  ) {}

  /** From the jobs the reactions queue and the handlers the providers declare; throws JobRegistryError. */
  static of(queued: readonly JobTarget[], handlers: readonly DeclaredJobHandler[]): JobRegistry {
    const problems: string[] = [];
    const jobs = new Map<string, HandledJob>();
    const add = (job: HandledJob, where: string) => {
      const known = jobs.get(job.name);
      if (known && known !== job) problems.push(`two different jobs are named "${job.name}" (${where})`);
      else jobs.set(job.name, job);
    };
    for (const target of queued) {
      if (isJobDefinition(target)) add(target, 'queued by a reaction');
      else problems.push(`job "${target.name}" is queued by a reaction but was not made with defineJob`);
    }
    for (const handler of handlers) if (isScheduledJob(handler.job)) add(handler.job, handler.declaredAt);

    const queues = new Map<string, QueueDefinition>();
    for (const job of jobs.values()) {
      const known = queues.get(job.queue.name);
      if (known && known !== job.queue) problems.push(`two different queues are named "${job.queue.name}" (job "${job.name}")`);
      else queues.set(job.queue.name, job.queue);
    }
    if (problems.length > 0) throw new JobRegistryError(problems);
    const byName = <T extends { name: string }>(items: Iterable<T>) => [...items].sort((a, b) => a.name.localeCompare(b.name));
    return new JobRegistry(byName(queues.values()), byName(jobs.values()));
  }

  get queueNames(): string[] {
    return this.queues.map((queue) => queue.name);
  }

  get jobNames(): string[] {
    return this.jobs.map((job) => job.name);
  }
}
