import { JobName, jobQueue, type JobPayload, type QueueName } from './job-contract.js';
import type { JobContext } from './job-context.js';

export type JobHandler<N extends JobName> = (data: JobPayload<N>, context: JobContext) => Promise<unknown>;

/** One queue's handlers, keyed by job name; the compiler checks each payload type. */
export interface QueueProcessor<Q extends QueueName = QueueName> {
  readonly queue: Q;
  readonly handlers: { [N in JobName as (typeof jobQueue)[N] extends Q ? N : never]?: JobHandler<N> };
}

export class MissingJobHandlerError extends Error {
  constructor(problems: string[]) {
    super(`Job handler registry is incomplete:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'MissingJobHandlerError';
  }
}

/**
 * Boot check: every job name of the contract has exactly one handler, on the
 * queue the contract assigns it. No job can sit in a queue nothing serves.
 */
export function assertEveryJobHasOneHandler(processors: readonly QueueProcessor[]): void {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const processor of processors) {
    for (const name of Object.keys(processor.handlers)) {
      seen.set(name, (seen.get(name) ?? 0) + 1);
      const expected = jobQueue[name as JobName];
      if (!expected) problems.push(`handler for unknown job "${name}" on queue "${processor.queue}"`);
      else if (expected !== processor.queue) {
        problems.push(`job "${name}" is handled on queue "${processor.queue}" but belongs to "${expected}"`);
      }
    }
  }
  for (const name of Object.values(JobName)) {
    const count = seen.get(name) ?? 0;
    if (count === 0) problems.push(`job "${name}" has no handler`);
    if (count > 1) problems.push(`job "${name}" has ${count} handlers`);
  }
  if (problems.length > 0) throw new MissingJobHandlerError(problems);
}
