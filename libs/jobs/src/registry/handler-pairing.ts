import type { DeclaredJobHandler, HandledJob } from '../definition/job-handler.js';
import type { JobRegistry } from './job-registry.js';

/** The handlers found do not match the registry's jobs: the worker does not start. */
export class JobHandlerRegistryError extends Error {
  constructor(readonly problems: string[]) {
    super(`Job handler registry is incomplete:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'JobHandlerRegistryError';
  }
}

/** A registry job with the one handler that serves it. */
export interface PairedJob<H extends DeclaredJobHandler> {
  readonly job: HandledJob;
  readonly handler: H;
}

/**
 * Pairs every job of the registry with exactly one handler (Immich's rule: no
 * job can sit in a queue that nothing serves), and refuses a handler whose
 * job is not in the registry (no reaction queues it, no schedule runs it), so
 * no handler waits for jobs that never come. Throws JobHandlerRegistryError
 * naming every problem.
 */
export function pairHandlers<H extends DeclaredJobHandler>(registry: JobRegistry, handlers: readonly H[]): PairedJob<H>[] {
  const problems: string[] = [];
  const known = new Set(registry.jobs);
  const byJob = new Map<HandledJob, H[]>();
  for (const handler of handlers) {
    if (known.has(handler.job)) byJob.set(handler.job, [...(byJob.get(handler.job) ?? []), handler]);
    else if (registry.jobNames.includes(handler.job.name))
      problems.push(`${handler.declaredAt} handles a different job definition named "${handler.job.name}"`);
    else problems.push(`${handler.declaredAt} handles job "${handler.job.name}", which no reaction queues and no schedule runs`);
  }
  const paired: PairedJob<H>[] = [];
  for (const job of registry.jobs) {
    const [handler, ...others] = byJob.get(job) ?? [];
    const kind = job.kind === 'scheduled' ? 'scheduled job' : 'job';
    if (!handler) problems.push(`${kind} "${job.name}" (queue "${job.queue.name}") has no handler (@JobHandler)`);
    else if (others.length > 0)
      problems.push(`${kind} "${job.name}" has ${others.length + 1} handlers: ${[handler, ...others].map((h) => h.declaredAt).join(', ')}`);
    else paired.push({ job, handler });
  }
  if (problems.length > 0) throw new JobHandlerRegistryError(problems);
  return paired;
}
