import { InvalidArgumentError, type Command } from 'commander';
import {
  reactionsOfRequest,
  ReplayMismatchError,
  ReplayRequestError,
  type JobSink,
  type ReplayCursor,
  type ReplayDelivery,
  type ReplayReport,
  type SinkJob,
} from '@herald/events';
import { defaultJobOptions, type AnyJobDefinition } from '@herald/jobs';
import { parseLimit, parseReplayCursorArgument, parseReplayId, parseTime } from '../arguments.js';
import { UsageError } from '../cli-errors.js';
import { withContext, type CliContext } from '../cli-context.js';
import { catalog } from '../contexts.js';
import { formatTable, print } from '../output.js';

interface ReplayOptions {
  type: string;
  since: Date;
  until?: Date;
  reaction?: string;
  reprocess?: boolean;
  replayId?: string;
  limit?: number;
  after?: ReplayCursor;
  dryRun?: boolean;
  json?: boolean;
}

/** Deliveries listed by a dry run in text (--json lists them all). */
const LISTED = 20;

export function registerReplayCommand(program: Command): void {
  program
    .command('outbox:replay')
    .description(
      'deliver committed events of one type again, to one reaction or all: a backfill for a reaction added later ' +
        '(what was done is skipped), or with --reprocess for a consumer fixed after a bug',
    )
    .requiredOption('--type <eventType>', 'the event type, as stored in the outbox (users.UserRegistered ...)', parseEventType)
    .requiredOption('--since <time>', 'events that occurred at or after this time (ISO 8601: 2026-05-01, 2026-05-01T12:00:00Z)', parseTime)
    .option('--until <time>', 'and before this time (default: when the replay first ran)', parseTime)
    .option('--reaction <name>', 'only this reaction (default: every reaction to the type)')
    .option(
      '--reprocess',
      "delete the reactions' inbox records of the events each step replays, just before queueing them, so they act again",
    )
    .option('--replay-id <id>', 'name the replay (default: derived from the arguments, so the same command continues it)', parseReplayId)
    .option('--limit <n>', 'at most this many events in this run; the same command run again continues after the last', parseLimit)
    .option(
      '--after <cursor>',
      'start after this cursor (as a run printed it) instead of where the last run stopped',
      parseReplayCursorArgument,
    )
    .option('--dry-run', 'list what would be delivered (and deleted); change nothing')
    .option('--json', 'print JSON')
    .action((options: ReplayOptions) => {
      // Checked before withContext: a usage error changes nothing and needs no service.
      checkReplayOptions(options);
      return withContext((context) => outboxReplay(context, options));
    });
}

function parseEventType(value: string): string {
  if (!catalog.eventTypes.includes(value)) {
    throw new InvalidArgumentError(`unknown event type "${value}"; known types: ${catalog.eventTypes.join(', ')}`);
  }
  return value;
}

function checkReplayOptions(options: ReplayOptions): void {
  try {
    reactionsOfRequest(catalog, options.type, options.reaction);
  } catch (error) {
    throw error instanceof ReplayRequestError ? new UsageError(error.message) : error;
  }
  if (options.until && options.until.getTime() <= options.since.getTime()) {
    throw new UsageError(`--since (${options.since.toISOString()}) must be before --until (${options.until.toISOString()})`);
  }
}

async function outboxReplay(context: CliContext, options: ReplayOptions): Promise<void> {
  const replay = await context.outboxReplay(cliJobSink(context));
  const report = await replay
    .run({
      eventType: options.type,
      reaction: options.reaction,
      since: options.since,
      until: options.until,
      reprocess: Boolean(options.reprocess),
      replayId: options.replayId,
      limit: options.limit,
      after: options.after,
      dryRun: Boolean(options.dryRun),
    })
    .catch((error: unknown) => {
      throw error instanceof ReplayRequestError || error instanceof ReplayMismatchError ? new UsageError(error.message) : error;
    });
  print(Boolean(options.json), report, () => replayText(report));
}

/** Jobs added the way the apps add them: the configured defaults (attempts, retention) under each job's own options. */
function cliJobSink(context: CliContext): JobSink {
  return {
    exists: (target, jobId) => context.jobExists(target.queue.name, jobId),
    async enqueue(jobs: readonly SinkJob[]) {
      const queues = await context.queues();
      const defaults = defaultJobOptions(context.config);
      const byQueue = new Map<string, SinkJob[]>();
      for (const job of jobs) {
        const queueJobs = byQueue.get(job.target.queue.name);
        if (queueJobs) queueJobs.push(job);
        else byQueue.set(job.target.queue.name, [job]);
      }
      for (const [queueName, queueJobs] of byQueue) {
        await queues.get(queueName)!.addBulk(
          queueJobs.map((job) => ({
            name: job.target.name,
            data: job.data,
            opts: { ...defaults, ...(job.target as Partial<AnyJobDefinition>).options, jobId: job.jobId },
          })),
        );
      }
    },
  };
}

function replayText(report: ReplayReport): string {
  const kind = report.reprocess ? 'reprocess' : 'backfill';
  const lines = [
    `${report.dryRun ? 'Dry run of replay' : 'Replay'} ${report.replayId} (${kind}${report.resumed ? ', run before' : ''}): ` +
      `${report.eventType} from ${report.since} to ${report.until}, to ${report.reactions.join(', ')}.`,
  ];
  if (report.startedAfter) lines.push(`Started after ${report.startedAfter}.`);
  if (report.inbox) lines.push(inboxText(report));
  const left = report.skipped.pending + report.skipped.dead;
  if (report.events === 0) {
    lines.push(
      report.startedAfter
        ? `No dispatched ${report.eventType} events left after the cursor: this replay has gone through its range.`
        : `No dispatched ${report.eventType} events in that range: nothing to replay.`,
    );
  } else {
    lines.push(
      '',
      formatTable(
        Object.entries(report.jobs.byReaction).map(([reaction, counts]) => ({
          reaction,
          [report.dryRun ? 'would add' : 'added']: counts.added,
          'already queued': counts.alreadyQueued,
        })),
      ),
      '',
      `${report.events} dispatched event(s); ${report.dryRun ? 'would add' : 'added'} ${report.jobs.added} job(s), ` +
        `${report.jobs.alreadyQueued} already queued by an earlier run of this replay.`,
    );
  }
  if (left > 0)
    lines.push(`Left out: ${report.skipped.pending} pending (the relay delivers them), ${report.skipped.dead} dead (outbox:requeue).`);
  if (report.deliveries && report.deliveries.length > 0) lines.push('', deliveryTable(report.deliveries));
  if (report.credentials.deliveries > 0) lines.push('', ...credentialWarning(report));
  for (const failure of report.failed) lines.push(`FAILED ${failure.eventId} (${failure.reaction}): ${failure.error}`);
  if (!report.complete) {
    lines.push(
      `Stopped at --limit after ${report.cursor}: run the same command again to continue after it ` + `(or give --after ${report.cursor}).`,
    );
  }
  return lines.join('\n');
}

function deliveryTable(deliveries: readonly ReplayDelivery[]): string {
  const shown = deliveries.slice(0, LISTED);
  const table = formatTable(
    shown.map((delivery) => ({
      'event id': delivery.eventId,
      'occurred at': delivery.occurredAt,
      reaction: delivery.reaction,
      'job id': delivery.jobId,
      queued: delivery.alreadyQueued ? 'yes' : 'no',
    })),
  );
  return deliveries.length > shown.length ? `${table}\n... and ${deliveries.length - shown.length} more (--json lists all).` : table;
}

/** Reactions that mail a live link: said loudly, and in a dry run each such delivery listed. */
function credentialWarning(report: ReplayReport): string[] {
  const count = report.credentials.deliveries;
  const lines = [
    `WARNING: ${count} ${report.dryRun ? 'delivery' : 'job'}(s) ${report.dryRun ? 'would mint' : 'added mint'} credentials ` +
      `(${report.credentials.reactions.join(', ')}): each mails the user a new, working link, and a newer link can ` +
      'revoke the one they hold. Replay these only for requests still open.',
  ];
  const minting = (report.deliveries ?? []).filter((delivery) => delivery.mintsCredentials && !delivery.alreadyQueued);
  if (minting.length > 0) {
    lines.push('Deliveries that would mint credentials:', deliveryTable(minting));
  }
  return lines;
}

function inboxText(report: ReplayReport): string {
  const inbox = report.inbox!;
  const perReaction = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([reaction, n]) => `${reaction} ${n}`)
      .join(', ') || 'none';
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, n) => total + n, 0);
  const busy = sum(inbox.inProgress);
  const underWay = busy > 0 ? `; ${busy} under way left alone (${perReaction(inbox.inProgress)})` : '';
  const earlier = sum(inbox.deletedEarlier);
  const before = earlier > 0 ? `; ${earlier} deleted by earlier runs of this replay` : '';
  return (
    `Inbox: ${report.dryRun ? 'would delete' : 'deleted'} ${sum(inbox.deleted)} record(s) of this run's deliveries ` +
    `(${perReaction(inbox.deleted)})${underWay}${before}.`
  );
}
