import type { Command } from 'commander';
import { eventsWithMissingJobs, OutboxRowError, type JobTarget } from '@herald/events';
import { parseDuration, parseLimit, parseOutboxId } from '../arguments.js';
import { CliError, UsageError } from '../cli-errors.js';
import { withContext } from '../cli-context.js';
import { catalog } from '../contexts.js';
import { formatAge, formatTable, isoTime, oneLine, print } from '../output.js';

/** Rows checked per page by outbox:reconcile. */
const RECONCILE_PAGE = 500;

export function registerOutboxCommands(program: Command): void {
  program
    .command('outbox:stats')
    .description('outbox rows pending, dispatched and dead, and the age of the oldest pending row')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withContext(async (context) => {
        const stats = await (await context.outbox()).stats();
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
      }),
    );

  program
    .command('outbox:dead')
    .description('list dead-lettered outbox rows, oldest first')
    .option('--limit <n>', 'at most this many', parseLimit, 50)
    .option('--json', 'print JSON')
    .action((options: { limit: number; json?: boolean }) =>
      withContext(async (context) => {
        const outbox = await context.outbox();
        const rows = (await outbox.dead(options.limit)).map((row) => ({ ...row, createdAt: isoTime(row.createdAt) }));
        const { dead } = await outbox.stats();
        print(Boolean(options.json), rows, () =>
          rows.length === 0
            ? 'No dead outbox rows.'
            : `${formatTable(
                rows.map((row) => ({
                  id: row.id,
                  'event type': row.eventType,
                  attempts: row.attempts,
                  'created at': row.createdAt,
                  'last error': oneLine(row.lastError, 70),
                })),
              )}\n\n${rows.length} shown of ${dead} dead.`,
        );
      }),
    );

  program
    .command('outbox:requeue')
    .description('put dead rows, or pending rows stuck for longer than an age, back to pending: attempts 0, due now')
    .option('--all', 'every dead row')
    .option('--id <uuid>', 'this dead row (repeatable)', parseOutboxId)
    .option('--stuck-older-than <duration>', 'also pending rows committed longer ago than this: 10m, 1h ...', parseDuration)
    .option('--dry-run', 'list what would be requeued; change nothing')
    .option('--json', 'print JSON')
    .action((options: { all?: boolean; id?: string[]; stuckOlderThan?: number; dryRun?: boolean; json?: boolean }) => {
      if (!options.all && !options.id && options.stuckOlderThan === undefined) {
        throw new UsageError('say which rows: --all (dead), --id <uuid> (dead) and/or --stuck-older-than <duration> (pending)');
      }
      if (options.all && options.id) throw new UsageError('--all already takes every dead row; leave out --id');
      return withContext(async (context) => {
        const outbox = await context.outbox();
        const rows = await outbox
          .requeue({ allDead: options.all, ids: options.id, stuckOlderThanMs: options.stuckOlderThan }, { dryRun: options.dryRun })
          .catch((error: unknown) => {
            throw error instanceof OutboxRowError ? new CliError(error.message) : error;
          });
        const view = rows.map((row) => ({ ...row, createdAt: isoTime(row.createdAt) }));
        const verb = options.dryRun ? 'Would requeue' : 'Requeued';
        print(Boolean(options.json), { dryRun: Boolean(options.dryRun), requeued: view }, () =>
          [
            view.length > 0
              ? formatTable(
                  view.map((row) => ({
                    id: row.id,
                    'event type': row.eventType,
                    was: row.previousStatus,
                    attempts: row.previousAttempts,
                    'created at': row.createdAt,
                    'last error': oneLine(row.lastError, 50),
                  })),
                )
              : '',
            `${verb} ${view.length} outbox row(s).`,
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
      });
    });

  program
    .command('outbox:prune')
    .description('delete dispatched outbox rows delivered longer ago than an age')
    .requiredOption('--older-than <duration>', 'dispatched longer ago than this: 30d, 12h ...', parseDuration)
    .option('--json', 'print JSON')
    .action((options: { olderThan: number; json?: boolean }) =>
      withContext(async (context) => {
        const deleted = await (await context.outbox()).prune(options.olderThan);
        print(
          Boolean(options.json),
          { olderThanMs: options.olderThan, deleted },
          () => `Deleted ${deleted} dispatched outbox row(s) older than ${formatAge(options.olderThan)}.`,
        );
      }),
    );

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
    .action((options: { since: number; dryRun?: boolean; json?: boolean }) =>
      withContext(async (context) => {
        const retentionMs = context.config.jobs.completedRetentionHours * 3_600_000;
        if (options.since > retentionMs) {
          throw new UsageError(
            `--since may be at most JOB_COMPLETED_RETENTION_HOURS (${context.config.jobs.completedRetentionHours}h): older completed jobs are removed by design`,
          );
        }
        const outbox = await context.outbox();
        const queues = await context.queues();
        const jobs = {
          exists: async (target: JobTarget, jobId: string) => (await queues.get(target.queue.name)!.getJob(jobId)) !== undefined,
        };
        let checked = 0;
        const missing: string[] = [];
        for (let afterId: string | null = null; ;) {
          const rows = await outbox.dispatchedSince(options.since, afterId, RECONCILE_PAGE);
          if (rows.length === 0) break;
          checked += rows.length;
          missing.push(...(await eventsWithMissingJobs(rows, catalog, jobs)));
          afterId = rows.at(-1)!.id;
        }
        const redelivered = options.dryRun ? 0 : await outbox.redeliver(missing);
        const result = { checked, missing: missing.length, redelivered, dryRun: Boolean(options.dryRun), ids: missing };
        print(Boolean(options.json), result, () =>
          options.dryRun
            ? `${checked} dispatched row(s) checked; ${missing.length} have a job missing in Redis and would be delivered again.`
            : `${checked} dispatched row(s) checked; ${redelivered} put back to pending for the relay.`,
        );
      }),
    );
}
