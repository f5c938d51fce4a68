import { Option, type Command } from 'commander';
import type { Job, Queue } from 'bullmq';
import { parseJobId, parseJobName, parseLimit, parseQueueName } from '../arguments.js';
import { CliError, UsageError } from '../cli-errors.js';
import { withContext } from '../cli-context.js';
import { formatTable, isoTime, oneLine, print } from '../output.js';

const PAGE = 500;

export interface FailedJobView {
  readonly queue: string;
  readonly id: string;
  readonly name: string;
  readonly failedReason: string | null;
  readonly attemptsMade: number;
  readonly addedAt: string | null;
  readonly processedAt: string | null;
  readonly failedAt: string | null;
  /** Ids only, by the job contract: nothing secret. */
  readonly data: unknown;
}

export function registerJobCommands(program: Command): void {
  program
    .command('jobs:failed')
    .description('list failed jobs, most recently failed first')
    .option('--queue <name>', 'only this queue', parseQueueName)
    .option('--name <job>', 'only jobs of this name', parseJobName)
    .option('--limit <n>', 'at most this many', parseLimit, 20)
    .option('--json', "print JSON (with each job's data)")
    .action((options: { queue?: string; name?: string; limit: number; json?: boolean }) =>
      withContext(async (context) => {
        const queues = pick(await context.queues(), options.queue);
        let failed: FailedJobView[] = [];
        let total = 0;
        for (const [name, queue] of queues) {
          total += await queue.getFailedCount();
          let taken = 0;
          for await (const job of failedJobs(queue, options.name)) {
            if (taken++ >= options.limit) break;
            failed.push(view(name, job));
          }
        }
        failed = failed.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? '')).slice(0, options.limit);
        print(Boolean(options.json), failed, () =>
          failed.length === 0
            ? 'No failed jobs.'
            : `${formatTable(
                failed.map((job) => ({
                  queue: job.queue,
                  id: job.id,
                  name: job.name,
                  attempts: job.attemptsMade,
                  'failed at': job.failedAt,
                  reason: oneLine(job.failedReason, 70),
                })),
              )}\n\n${failed.length} shown; ${total} failed job(s) of any name in ${queues.map(([name]) => name).join(', ')}.`,
        );
      }),
    );

  program
    .command('jobs:retry')
    .description('move a failed job (--id) or every failed job of a queue (--all) back to waiting, with its attempts reset')
    .addOption(new Option('--id <id>', 'the failed job to retry').argParser(parseJobId).conflicts('all'))
    .addOption(new Option('--all', 'every failed job of --queue'))
    .option('--queue <name>', "the job's queue (required with --all)", parseQueueName)
    .option('--name <job>', 'with --all: only jobs of this name', parseJobName)
    .option('--dry-run', 'list what would be retried; change nothing')
    .option('--json', 'print JSON')
    .action((options: { id?: string; all?: boolean; queue?: string; name?: string; dryRun?: boolean; json?: boolean }) => {
      if (!options.id && !options.all) throw new UsageError('say which jobs: --id <id>, or --all --queue <name>');
      if (options.all && !options.queue) throw new UsageError('--all needs --queue <name>');
      if (options.name && !options.all) throw new UsageError('--name filters --all; a job given by --id is retried whatever its name');
      return withContext(async (context) => {
        const queues = await context.queues();
        let targets: { queue: string; job: Job }[];
        if (options.id) {
          const found = await findJob(queues, options.id, options.queue);
          const state = await found.job.getState();
          if (state !== 'failed')
            throw new CliError(`job ${options.id} in queue ${found.queue} is ${state}; only failed jobs can be retried`);
          targets = [found];
        } else {
          const queue = queues.get(options.queue!)!;
          targets = [];
          for await (const job of failedJobs(queue, options.name)) targets.push({ queue: options.queue!, job });
        }
        const retried: FailedJobView[] = [];
        const skipped: { id: string; reason: string }[] = [];
        for (const target of targets) {
          const before = view(target.queue, target.job);
          if (options.dryRun) {
            retried.push(before);
            continue;
          }
          try {
            // A fresh set of attempts (with backoff): operators retry once the cause is fixed.
            await target.job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
            retried.push(before);
          } catch (error) {
            // Between listing and retrying, a job can be retried or removed by someone else.
            if (options.id) throw new CliError(`job ${before.id} could not be retried: ${(error as Error).message}`);
            skipped.push({ id: before.id, reason: (error as Error).message });
          }
        }
        const verb = options.dryRun ? 'Would retry' : 'Retried';
        print(Boolean(options.json), { dryRun: Boolean(options.dryRun), retried, skipped }, () =>
          [
            retried.length > 0
              ? formatTable(retried.map((job) => ({ queue: job.queue, id: job.id, name: job.name, reason: oneLine(job.failedReason, 70) })))
              : '',
            `${verb} ${retried.length} job(s)${skipped.length ? `; skipped ${skipped.length} no longer failed` : ''}.`,
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
      });
    });

  program
    .command('jobs:remove')
    .description('delete one job (any state but active) and its data')
    .requiredOption('--id <id>', 'the job to remove', parseJobId)
    .option('--queue <name>', "the job's queue (searched in all queues when left out)", parseQueueName)
    .option('--json', 'print JSON')
    .action((options: { id: string; queue?: string; json?: boolean }) =>
      withContext(async (context) => {
        const { queue, job } = await findJob(await context.queues(), options.id, options.queue);
        const state = await job.getState();
        try {
          await job.remove();
        } catch (error) {
          throw new CliError(`job ${options.id} in queue ${queue} (${state}) could not be removed: ${(error as Error).message}`);
        }
        print(
          Boolean(options.json),
          { queue, id: options.id, name: job.name, state, removed: true },
          () => `Removed job ${options.id} (${job.name}, ${state}) from queue ${queue}.`,
        );
      }),
    );
}

function pick(queues: Map<string, Queue>, only?: string): [string, Queue][] {
  return [...queues].filter(([name]) => !only || name === only);
}

/** The job with this id, in the given queue or in whichever single queue has it. */
async function findJob(queues: Map<string, Queue>, id: string, only?: string): Promise<{ queue: string; job: Job }> {
  const candidates = pick(queues, only);
  const found = (await Promise.all(candidates.map(async ([queue, q]) => ({ queue, job: await q.getJob(id) })))).filter(
    (hit): hit is { queue: string; job: Job } => hit.job !== undefined,
  );
  if (found.length === 0) throw new CliError(`unknown job id "${id}" in queue ${candidates.map(([name]) => name).join(', ')}`);
  if (found.length > 1) throw new UsageError(`job id "${id}" exists in queues ${found.map((hit) => hit.queue).join(', ')}; add --queue`);
  return found[0]!;
}

/** Failed jobs of a queue, most recently failed first, page by page. */
async function* failedJobs(queue: Queue, name?: string): AsyncGenerator<Job> {
  for (let start = 0; ; start += PAGE) {
    const page = (await queue.getJobs(['failed'], start, start + PAGE - 1, false)) as Job[];
    for (const job of page) if (!name || job.name === name) yield job;
    if (page.length < PAGE) return;
  }
}

function view(queue: string, job: Job): FailedJobView {
  return {
    queue,
    id: job.id ?? '',
    name: job.name,
    failedReason: job.failedReason ?? null,
    attemptsMade: job.attemptsMade,
    addedAt: isoTime(job.timestamp),
    processedAt: isoTime(job.processedOn),
    failedAt: isoTime(job.finishedOn),
    data: job.data,
  };
}
