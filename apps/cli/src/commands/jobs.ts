import { Option, type Command } from 'commander';
import type { Job, Queue } from 'bullmq';
import { parseJobId, parseJobName, parseLimit, parseQueueName } from '../arguments.js';
import { CliError, UsageError } from '../cli-errors.js';
import { withContext, type CliContext } from '../cli-context.js';
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

interface FailedOptions {
  queue?: string;
  name?: string;
  limit: number;
  json?: boolean;
}
interface RetryOptions {
  id?: string;
  all?: boolean;
  queue?: string;
  name?: string;
  dryRun?: boolean;
  json?: boolean;
}
interface RemoveOptions {
  id: string;
  queue?: string;
  json?: boolean;
}

interface QueuedJob {
  queue: string;
  job: Job;
}
interface RetryOutcome {
  retried: FailedJobView[];
  skipped: { id: string; reason: string }[];
}

export function registerJobCommands(program: Command): void {
  declareJobsFailed(program);
  declareJobsRetry(program);
  declareJobsRemove(program);
}

function declareJobsFailed(program: Command): void {
  program
    .command('jobs:failed')
    .description('list failed jobs, most recently failed first')
    .option('--queue <name>', 'only this queue', parseQueueName)
    .option('--name <job>', 'only jobs of this name', parseJobName)
    .option('--limit <n>', 'at most this many', parseLimit, 20)
    .option('--json', "print JSON (with each job's data)")
    .action((options: FailedOptions) => withContext((context) => jobsFailed(context, options)));
}

async function jobsFailed(context: CliContext, options: FailedOptions): Promise<void> {
  const queues = pick(await context.queues(), options.queue);
  let failed: FailedJobView[] = [];
  let total = 0;
  for (const [name, queue] of queues) {
    total += await queue.getFailedCount();
    failed.push(...(await latestFailed(name, queue, options.name, options.limit)));
  }
  failed = failed.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? '')).slice(0, options.limit);
  const queueNames = queues.map(([name]) => name).join(', ');
  print(Boolean(options.json), failed, () => failedText(failed, total, queueNames));
}

/** Up to `limit` failed jobs of one queue, most recently failed first. */
async function latestFailed(queueName: string, queue: Queue, name: string | undefined, limit: number): Promise<FailedJobView[]> {
  const views: FailedJobView[] = [];
  for await (const job of failedJobs(queue, name)) {
    if (views.length >= limit) break;
    views.push(view(queueName, job));
  }
  return views;
}

function failedText(failed: readonly FailedJobView[], total: number, queueNames: string): string {
  if (failed.length === 0) return 'No failed jobs.';
  const table = formatTable(
    failed.map((job) => ({
      queue: job.queue,
      id: job.id,
      name: job.name,
      attempts: job.attemptsMade,
      'failed at': job.failedAt,
      reason: oneLine(job.failedReason, 70),
    })),
  );
  return `${table}\n\n${failed.length} shown; ${total} failed job(s) of any name in ${queueNames}.`;
}

function declareJobsRetry(program: Command): void {
  program
    .command('jobs:retry')
    .description('move a failed job (--id) or every failed job of a queue (--all) back to waiting, with its attempts reset')
    .addOption(new Option('--id <id>', 'the failed job to retry').argParser(parseJobId).conflicts('all'))
    .addOption(new Option('--all', 'every failed job of --queue'))
    .option('--queue <name>', "the job's queue (required with --all)", parseQueueName)
    .option('--name <job>', 'with --all: only jobs of this name', parseJobName)
    .option('--dry-run', 'list what would be retried; change nothing')
    .option('--json', 'print JSON')
    .action((options: RetryOptions) => {
      // Checked before withContext: a usage error is reported even when the configuration is bad.
      checkRetryOptions(options);
      return withContext((context) => jobsRetry(context, options));
    });
}

function checkRetryOptions(options: RetryOptions): void {
  if (!options.id && !options.all) throw new UsageError('say which jobs: --id <id>, or --all --queue <name>');
  if (options.all && !options.queue) throw new UsageError('--all needs --queue <name>');
  if (options.name && !options.all) throw new UsageError('--name filters --all; a job given by --id is retried whatever its name');
}

async function jobsRetry(context: CliContext, options: RetryOptions): Promise<void> {
  const queues = await context.queues();
  const targets = options.id ? [await failedJob(queues, options.id, options.queue)] : await allFailed(queues, options.queue!, options.name);
  const { retried, skipped } = await retry(targets, options);
  print(Boolean(options.json), { dryRun: Boolean(options.dryRun), retried, skipped }, () => retriedText(retried, skipped, options.dryRun));
}

/** The job given by --id, which must be failed. */
async function failedJob(queues: Map<string, Queue>, id: string, only?: string): Promise<QueuedJob> {
  const found = await findJob(queues, id, only);
  const state = await found.job.getState();
  if (state !== 'failed') throw new CliError(`job ${id} in queue ${found.queue} is ${state}; only failed jobs can be retried`);
  return found;
}

async function allFailed(queues: Map<string, Queue>, queue: string, name?: string): Promise<QueuedJob[]> {
  const targets: QueuedJob[] = [];
  for await (const job of failedJobs(queues.get(queue)!, name)) targets.push({ queue, job });
  return targets;
}

async function retry(targets: readonly QueuedJob[], options: RetryOptions): Promise<RetryOutcome> {
  const outcome: RetryOutcome = { retried: [], skipped: [] };
  for (const target of targets) {
    const before = view(target.queue, target.job);
    if (options.dryRun) {
      outcome.retried.push(before);
      continue;
    }
    try {
      // A fresh set of attempts (with backoff): operators retry once the cause is fixed.
      await target.job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      outcome.retried.push(before);
    } catch (error) {
      // Between listing and retrying, a job can be retried or removed by someone else.
      if (options.id) throw new CliError(`job ${before.id} could not be retried: ${(error as Error).message}`);
      outcome.skipped.push({ id: before.id, reason: (error as Error).message });
    }
  }
  return outcome;
}

function retriedText(retried: readonly FailedJobView[], skipped: RetryOutcome['skipped'], dryRun?: boolean): string {
  const table = formatTable(
    retried.map((job) => ({ queue: job.queue, id: job.id, name: job.name, reason: oneLine(job.failedReason, 70) })),
  );
  const skippedNote = skipped.length ? `; skipped ${skipped.length} no longer failed` : '';
  const summary = `${dryRun ? 'Would retry' : 'Retried'} ${retried.length} job(s)${skippedNote}.`;
  return retried.length > 0 ? `${table}\n\n${summary}` : summary;
}

function declareJobsRemove(program: Command): void {
  program
    .command('jobs:remove')
    .description('delete one job (any state but active) and its data')
    .requiredOption('--id <id>', 'the job to remove', parseJobId)
    .option('--queue <name>', "the job's queue (searched in all queues when left out)", parseQueueName)
    .option('--json', 'print JSON')
    .action((options: RemoveOptions) => withContext((context) => jobsRemove(context, options)));
}

async function jobsRemove(context: CliContext, options: RemoveOptions): Promise<void> {
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
}

function pick(queues: Map<string, Queue>, only?: string): [string, Queue][] {
  return [...queues].filter(([name]) => !only || name === only);
}

/** The job with this id, in the given queue or in whichever single queue has it. */
async function findJob(queues: Map<string, Queue>, id: string, only?: string): Promise<QueuedJob> {
  const candidates = pick(queues, only);
  const found = (await Promise.all(candidates.map(async ([queue, q]) => ({ queue, job: await q.getJob(id) })))).filter(
    (hit): hit is QueuedJob => hit.job !== undefined,
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
