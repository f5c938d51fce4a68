import type { Command } from 'commander';
import { eventsWithMissingJobs, OutboxRowError, type DeadOutboxRow, type JobTarget, type RequeuedRow } from '@herald/events';
import { parseDuration, parseLimit, parseOutboxId } from '../arguments.js';
import { CliError, UsageError } from '../cli-errors.js';
import { withContext, type CliContext } from '../cli-context.js';
import { catalog } from '../contexts.js';
import { formatAge, formatTable, isoTime, oneLine, print } from '../output.js';

interface JsonOption {
  json?: boolean;
}
interface DeadOptions extends JsonOption {
  limit: number;
}
interface RequeueOptions extends JsonOption {
  all?: boolean;
  id?: string[];
  stuckOlderThan?: number;
  dryRun?: boolean;
}
interface PruneOptions extends JsonOption {
  olderThan: number;
}
interface ReconcileOptions extends JsonOption {
  since: number;
  dryRun?: boolean;
}

/** A row as printed: its creation time in ISO form. */
type Printed<Row extends { createdAt: Date }> = Omit<Row, 'createdAt'> & { createdAt: string | null };

export function registerOutboxCommands(program: Command): void {
  declareOutboxStats(program);
  declareOutboxDead(program);
  declareOutboxRequeue(program);
  declareOutboxPrune(program);
  declareOutboxReconcile(program);
}

function declareOutboxStats(program: Command): void {
  program
    .command('outbox:stats')
    .description('outbox rows pending, dispatched and dead, and the age of the oldest pending row')
    .option('--json', 'print JSON')
    .action((options: JsonOption) => withContext((context) => outboxStats(context, options)));
}

async function outboxStats(context: CliContext, options: JsonOption): Promise<void> {
  const stats = await (await context.outboxQueries()).stats();
  print(Boolean(options.json), stats, () =>
    formatTable([
      {
        pending: stats.pending,
        dispatched: stats.dispatched,
        dead: stats.dead,
        'oldest pending': formatAge(stats.oldestPendingAgeMs),
      },
    ]),
  );
}

function declareOutboxDead(program: Command): void {
  program
    .command('outbox:dead')
    .description('list dead-lettered outbox rows, oldest first')
    .option('--limit <n>', 'at most this many', parseLimit, 50)
    .option('--json', 'print JSON')
    .action((options: DeadOptions) => withContext((context) => outboxDead(context, options)));
}

async function outboxDead(context: CliContext, options: DeadOptions): Promise<void> {
  const outbox = await context.outboxQueries();
  const rows = (await outbox.deadRows(options.limit)).map(printable);
  const { dead } = await outbox.stats();
  print(Boolean(options.json), rows, () => deadText(rows, dead));
}

function deadText(rows: readonly Printed<DeadOutboxRow>[], dead: number): string {
  if (rows.length === 0) return 'No dead outbox rows.';
  const table = formatTable(
    rows.map((row) => ({
      id: row.id,
      'event type': row.eventType,
      attempts: row.attempts,
      'created at': row.createdAt,
      'last error': oneLine(row.lastError, 70),
    })),
  );
  return `${table}\n\n${rows.length} shown of ${dead} dead.`;
}

function declareOutboxRequeue(program: Command): void {
  program
    .command('outbox:requeue')
    .description('put dead rows, or pending rows stuck for longer than an age, back to pending: attempts 0, due now')
    .option('--all', 'every dead row')
    .option('--id <uuid>', 'this dead row (repeatable)', parseOutboxId)
    .option('--stuck-older-than <duration>', 'also pending rows committed longer ago than this: 10m, 1h ...', parseDuration)
    .option('--dry-run', 'list what would be requeued; change nothing')
    .option('--json', 'print JSON')
    .action((options: RequeueOptions) => {
      // Checked before withContext: a usage error is reported even when the configuration is bad.
      checkRequeueOptions(options);
      return withContext((context) => outboxRequeue(context, options));
    });
}

function checkRequeueOptions(options: RequeueOptions): void {
  if (!options.all && !options.id && options.stuckOlderThan === undefined) {
    throw new UsageError('say which rows: --all (dead), --id <uuid> (dead) and/or --stuck-older-than <duration> (pending)');
  }
  if (options.all && options.id) throw new UsageError('--all already takes every dead row; leave out --id');
}

async function outboxRequeue(context: CliContext, options: RequeueOptions): Promise<void> {
  const outbox = await context.outboxRepairs();
  const rows = await outbox
    .requeue({ allDead: options.all, ids: options.id, stuckOlderThanMs: options.stuckOlderThan }, { dryRun: options.dryRun })
    .catch((error: unknown) => {
      throw error instanceof OutboxRowError ? new CliError(error.message) : error;
    });
  const view = rows.map(printable);
  print(Boolean(options.json), { dryRun: Boolean(options.dryRun), requeued: view }, () => requeuedText(view, options.dryRun));
}

function requeuedText(view: readonly Printed<RequeuedRow>[], dryRun?: boolean): string {
  const table = formatTable(
    view.map((row) => ({
      id: row.id,
      'event type': row.eventType,
      was: row.previousStatus,
      attempts: row.previousAttempts,
      'created at': row.createdAt,
      'last error': oneLine(row.lastError, 50),
    })),
  );
  const summary = `${dryRun ? 'Would requeue' : 'Requeued'} ${view.length} outbox row(s).`;
  return view.length > 0 ? `${table}\n\n${summary}` : summary;
}

function declareOutboxPrune(program: Command): void {
  program
    .command('outbox:prune')
    .description('delete dispatched outbox rows delivered longer ago than an age')
    .requiredOption('--older-than <duration>', 'dispatched longer ago than this: 30d, 12h ...', parseDuration)
    .option('--json', 'print JSON')
    .action((options: PruneOptions) => withContext((context) => outboxPrune(context, options)));
}

async function outboxPrune(context: CliContext, options: PruneOptions): Promise<void> {
  const { deleted } = await context.pruneOutbox(options.olderThan);
  print(
    Boolean(options.json),
    { olderThanMs: options.olderThan, deleted },
    () => `Deleted ${deleted} dispatched outbox row(s) older than ${formatAge(options.olderThan)}.`,
  );
}

function declareOutboxReconcile(program: Command): void {
  program
    .command('outbox:reconcile')
    .description('after Redis lost data: find dispatched rows whose jobs no longer exist and deliver them again')
    .requiredOption(
      '--since <duration>',
      'rows dispatched within this window: 30m, 2h ... (at most the completed-job retention)',
      parseDuration,
    )
    .option('--dry-run', 'list what would be delivered again; change nothing')
    .option('--json', 'print JSON')
    .action((options: ReconcileOptions) => withContext((context) => outboxReconcile(context, options)));
}

async function outboxReconcile(context: CliContext, options: ReconcileOptions): Promise<void> {
  checkWithinRetention(context, options.since);
  const outbox = await context.outboxRepairs();
  const queues = await context.queues();
  const jobs = {
    exists: async (target: JobTarget, jobId: string) => (await queues.get(target.queue.name)!.getJob(jobId)) !== undefined,
  };
  const { checked, missing } = await eventsWithMissingJobs(options.since, { outbox, catalog, jobs });
  const redelivered = options.dryRun ? 0 : await outbox.redeliver(missing);
  const result = { checked, missing: missing.length, redelivered, dryRun: Boolean(options.dryRun), ids: missing };
  print(Boolean(options.json), result, () =>
    options.dryRun
      ? `${checked} dispatched row(s) checked; ${missing.length} have a job missing in Redis and would be delivered again.`
      : `${checked} dispatched row(s) checked; ${redelivered} put back to pending for the relay.`,
  );
}

function checkWithinRetention(context: CliContext, sinceMs: number): void {
  const { completedRetentionHours } = context.config.jobs;
  if (sinceMs > completedRetentionHours * 3_600_000) {
    throw new UsageError(
      `--since may be at most JOB_COMPLETED_RETENTION_HOURS (${completedRetentionHours}h): older completed jobs are removed by design`,
    );
  }
}

function printable<Row extends { createdAt: Date }>(row: Row): Printed<Row> {
  return { ...row, createdAt: isoTime(row.createdAt) };
}
