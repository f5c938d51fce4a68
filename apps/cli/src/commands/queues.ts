import { Option, type Command } from 'commander';
import type { Queue } from 'bullmq';
import { parseDuration, parseQueueName } from '../arguments.js';
import { withContext, type CliContext } from '../cli-context.js';
import { formatAge, formatTable, isoTime, print } from '../output.js';

/** The states a queue reports; "paused" is a flag of the queue in BullMQ 6, not a state. */
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
const CLEAN_BATCH = 1000;

export interface QueueStats {
  readonly queue: string;
  readonly paused: boolean;
  /** Workers connected to the queue; null when the server does not allow CLIENT LIST. */
  readonly workers: number | null;
  readonly counts: Record<(typeof STATES)[number], number>;
  /** Time since the oldest waiting job was added; null when nothing waits. */
  readonly oldestWaitingAgeMs: number | null;
  readonly oldestWaitingAddedAt: string | null;
}

interface JsonOption {
  json?: boolean;
}
interface StatsOptions extends JsonOption {
  queue?: string;
}
interface CleanOptions extends JsonOption {
  queue: string;
  state: 'completed' | 'failed';
  olderThan: number;
}

export function registerQueueCommands(program: Command): void {
  declareQueuesStats(program);
  declareQueuesPause(program);
  declareQueuesResume(program);
  declareQueuesClean(program);
}

function declareQueuesStats(program: Command): void {
  program
    .command('queues:stats')
    .description('job counts per state, oldest waiting job, workers and paused flag of every queue')
    .option('--queue <name>', 'only this queue', parseQueueName)
    .option('--json', 'print JSON')
    .action((options: StatsOptions) => withContext((context) => queuesStats(context, options)));
}

async function queuesStats(context: CliContext, options: StatsOptions): Promise<void> {
  const queues = [...(await context.queues())].filter(([name]) => !options.queue || name === options.queue);
  const stats = await Promise.all(queues.map(([name, queue]) => statsOf(name, queue)));
  print(Boolean(options.json), stats, () =>
    formatTable(
      stats.map((s) => ({
        queue: s.queue,
        paused: s.paused ? 'PAUSED' : 'no',
        workers: s.workers,
        ...s.counts,
        'oldest waiting': formatAge(s.oldestWaitingAgeMs),
      })),
    ),
  );
}

function declareQueuesPause(program: Command): void {
  program
    .command('queues:pause')
    .description('pause a queue: workers finish their active jobs and take no new ones (jobs can still be added)')
    .argument('<queue>', 'queue name', parseQueueName)
    .option('--json', 'print JSON')
    .action((name: string, options: JsonOption) => withContext((context) => setPaused(context, name, true, options)));
}

function declareQueuesResume(program: Command): void {
  program
    .command('queues:resume')
    .description('resume a paused queue: workers take jobs again')
    .argument('<queue>', 'queue name', parseQueueName)
    .option('--json', 'print JSON')
    .action((name: string, options: JsonOption) => withContext((context) => setPaused(context, name, false, options)));
}

/** queues:pause and queues:resume: one action, told which way. */
async function setPaused(context: CliContext, name: string, pause: boolean, options: JsonOption): Promise<void> {
  const queue = (await context.queues()).get(name)!;
  const wasPaused = await queue.isPaused();
  if (pause) await queue.pause();
  else await queue.resume();
  const verb = pause ? 'paused' : 'resumed';
  print(Boolean(options.json), { queue: name, paused: pause, changed: wasPaused !== pause }, () =>
    wasPaused === pause ? `Queue ${name} was already ${pause ? 'paused' : 'running'}.` : `Queue ${name} ${verb}.`,
  );
}

function declareQueuesClean(program: Command): void {
  program
    .command('queues:clean')
    .description('remove completed or failed jobs that finished longer ago than an age')
    .requiredOption('--queue <name>', 'the queue to clean', parseQueueName)
    .addOption(new Option('--state <state>', 'which finished jobs').choices(['completed', 'failed']).makeOptionMandatory())
    .requiredOption('--older-than <duration>', 'finished longer ago than this: 30m, 12h, 7d ...', parseDuration)
    .option('--json', 'print JSON')
    .action((options: CleanOptions) => withContext((context) => queuesClean(context, options)));
}

async function queuesClean(context: CliContext, options: CleanOptions): Promise<void> {
  const queue = (await context.queues()).get(options.queue)!;
  let removed = 0;
  // In batches: one unbounded clean would block Redis for as long as it takes.
  for (;;) {
    const ids = await queue.clean(options.olderThan, CLEAN_BATCH, options.state);
    removed += ids.length;
    if (ids.length === 0) break;
  }
  print(
    Boolean(options.json),
    { queue: options.queue, state: options.state, olderThanMs: options.olderThan, removed },
    () => `Removed ${removed} ${options.state} job(s) older than ${formatAge(options.olderThan)} from queue ${options.queue}.`,
  );
}

async function statsOf(name: string, queue: Queue): Promise<QueueStats> {
  const [counts, paused, workers, [oldest]] = await Promise.all([
    queue.getJobCounts(...STATES),
    queue.isPaused(),
    queue.getWorkersCount().catch(() => null),
    // Waiting jobs are a list; ascending order starts at the job that has waited longest.
    queue.getJobs(['waiting'], 0, 0, true),
  ]);
  return {
    queue: name,
    paused,
    workers,
    counts: Object.fromEntries(STATES.map((state) => [state, counts[state] ?? 0])) as QueueStats['counts'],
    oldestWaitingAgeMs: oldest ? Math.max(0, Date.now() - oldest.timestamp) : null,
    oldestWaitingAddedAt: oldest ? isoTime(oldest.timestamp) : null,
  };
}
