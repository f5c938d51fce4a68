import { createHash } from 'node:crypto';
import { replayJobId } from '../dispatch/delivery-id.js';
import type { EventCatalog } from '../catalog/event-catalog.js';
import type { JobSink, SinkJob } from '../dispatch/job-sink.js';
import type { OutboxStore, ReplayCursor, ReplayRange } from '../outbox/outbox-store.js';
import type { BoundReaction } from '../catalog/reaction.js';
import { formatReplayCursor } from './replay-cursor.js';
import type { InboxTally, ReplayStore, StoredReplay } from './replay-store.js';

/** What an operator asks to replay (checked at the CLI boundary; checked again here). */
export interface ReplayRequest {
  readonly eventType: string;
  /** One reaction; absent: every reaction to the event type. */
  readonly reaction?: string;
  readonly since: Date;
  /** Absent: up to the first run's time. */
  readonly until?: Date;
  /** Clear the reactions' inbox records of each step's events just before queueing their jobs, so they act again. */
  readonly reprocess: boolean;
  /** Absent: derived from the arguments above, so the same command continues the same replay. */
  readonly replayId?: string;
  /** At most this many events in this run (a rerun continues after the last). */
  readonly limit?: number;
  /** Start after this event instead of where the replay's last run stopped (a cursor it printed). */
  readonly after?: ReplayCursor;
  readonly dryRun: boolean;
}

export interface ReplayDelivery {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly reaction: string;
  readonly jobId: string;
  /** The job exists already (an earlier run of this replay added it). */
  readonly alreadyQueued: boolean;
  /** Its reaction mints and mails a credential (a live verification or reset link). */
  readonly mintsCredentials: boolean;
}

export interface ReplayReport {
  readonly replayId: string;
  readonly dryRun: boolean;
  readonly eventType: string;
  readonly reactions: string[];
  readonly since: string;
  readonly until: string;
  readonly reprocess: boolean;
  /** A run of a replay recorded before (its bounds and cursor were taken from the record). */
  readonly resumed: boolean;
  /** Where this run started: after this cursor (the last run's, or --after), or null at the start of the range. */
  readonly startedAfter: string | null;
  /** After this run (dry: after such a run), the cursor of the last event looked at: the next run continues after it. */
  readonly cursor: string | null;
  /** Rows of the range not replayed: pending ones (the relay delivers them) and dead ones (outbox:requeue). */
  readonly skipped: { readonly pending: number; readonly dead: number };
  /** With --reprocess: the inbox records of this run's deliveries deleted now (dry: that would be). */
  readonly inbox: {
    readonly deleted: Record<string, number>;
    /** Records of deliveries under way, left alone. */
    readonly inProgress: Record<string, number>;
    /** Deleted by the earlier runs of this replay, per reaction. */
    readonly deletedEarlier: Record<string, number>;
  } | null;
  /** Dispatched events of the range looked at in this run. */
  readonly events: number;
  readonly jobs: {
    readonly added: number;
    readonly alreadyQueued: number;
    readonly byReaction: Record<string, { added: number; alreadyQueued: number }>;
  };
  /**
   * Reactions of this replay that mint credentials, and the jobs of theirs
   * this run added (dry: would add): each mails a new, working link.
   */
  readonly credentials: { readonly reactions: string[]; readonly deliveries: number };
  /** Dry run only: every delivery it would make. */
  readonly deliveries?: ReplayDelivery[];
  readonly failed: { eventId: string; reaction: string; error: string }[];
  /** false when --limit stopped the run before the end of the range: run it again to continue. */
  readonly complete: boolean;
}

/** A replay asked for something the catalog does not have, or bounds that do not make a range. */
export class ReplayRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRequestError';
  }
}

/** Events read and enqueued per page. */
const PAGE = 200;

/**
 * The id of a replay given no --replay-id: a digest of what defines it, so
 * the same command run again is the same replay (same job ids, no doubles).
 */
export function deriveReplayId(request: Pick<ReplayRequest, 'eventType' | 'reaction' | 'since' | 'until' | 'reprocess'>): string {
  const parts = [
    request.eventType,
    request.reaction ?? '*',
    request.since.toISOString(),
    request.until?.toISOString() ?? 'open',
    request.reprocess ? 'reprocess' : 'backfill',
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The reactions a request names, checked against the catalog. */
export function reactionsOfRequest(catalog: EventCatalog<BoundReaction>, eventType: string, reaction?: string): BoundReaction[] {
  if (!catalog.eventTypes.includes(eventType)) {
    throw new ReplayRequestError(`unknown event type "${eventType}"; known types: ${catalog.eventTypes.join(', ')}`);
  }
  const reactions = catalog.reactionsToType(eventType);
  if (reactions.length === 0) throw new ReplayRequestError(`no reaction reacts to ${eventType}: nothing to replay`);
  if (reaction === undefined) return [...reactions];
  const chosen = reactions.filter((candidate) => candidate.name === reaction);
  if (chosen.length === 0) {
    throw new ReplayRequestError(
      `unknown reaction "${reaction}" for ${eventType}; its reactions: ${reactions.map((candidate) => candidate.name).join(', ')}`,
    );
  }
  return chosen;
}

/**
 * Delivers committed events again to one reaction or all (ops CLI
 * `outbox:replay`): for a reaction added after the events (backfill: the
 * inbox still skips what was done), or, with `reprocess`, for a consumer
 * fixed after a bug (the inbox records of each step's deliveries are
 * cleared just before they are queued).
 *
 * A replay goes through its range oldest first and keeps a cursor after the
 * last event delivered, so a run stopped by --limit (or killed) is continued
 * by the next. Each (replay, reaction, event) has its own job id, so a step
 * redone after a crash adds each job once; the job's id still names the
 * (reaction, event) pair, so the inbox de-duplicates it like the original.
 */
export class OutboxReplay {
  constructor(
    private readonly catalog: EventCatalog<BoundReaction>,
    private readonly outbox: OutboxStore,
    private readonly replays: ReplayStore,
    private readonly sink: JobSink,
  ) {}

  async run(request: ReplayRequest): Promise<ReplayReport> {
    const reactions = reactionsOfRequest(this.catalog, request.eventType, request.reaction);
    const names = reactions.map((reaction) => reaction.name);
    if (request.until && request.until.getTime() <= request.since.getTime()) {
      throw new ReplayRequestError(`--since (${request.since.toISOString()}) must be before --until (${request.until.toISOString()})`);
    }
    const replayId = request.replayId ?? deriveReplayId(request);
    const definition = {
      replayId,
      eventType: request.eventType,
      reaction: request.reaction ?? null,
      since: request.since,
      until: request.until,
      reprocess: request.reprocess,
    };

    if (!request.until && request.since.getTime() >= (await this.replays.now()).getTime()) {
      throw new ReplayRequestError(`--since (${request.since.toISOString()}) is not in the past: nothing can have happened since`);
    }

    let replay: StoredReplay | null;
    let resumed: boolean;
    if (request.dryRun) {
      replay = await this.replays.find(replayId);
      resumed = replay !== null;
    } else {
      ({ replay, resumed } = await this.replays.begin(definition));
    }
    const range: ReplayRange = {
      eventType: request.eventType,
      since: request.since,
      until: replay?.until ?? request.until ?? (await this.replays.now()),
    };
    const start = request.after ?? replay?.cursor ?? null;

    const counts = await this.outbox.countInRange(range);
    const delivered = await this.deliver(range, reactions, replayId, start, request);
    if (!request.dryRun) await this.replays.recordRun(replayId);
    const minting = reactions.filter((reaction) => reaction.mintsCredentials).map((reaction) => reaction.name);
    return {
      replayId,
      dryRun: request.dryRun,
      eventType: request.eventType,
      reactions: names,
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      reprocess: request.reprocess,
      resumed,
      startedAfter: start && formatReplayCursor(start),
      cursor: delivered.cursor && formatReplayCursor(delivered.cursor),
      skipped: { pending: counts.pending, dead: counts.dead },
      inbox: request.reprocess
        ? { deleted: delivered.inbox.done, inProgress: delivered.inbox.inProgress, deletedEarlier: replay?.inboxCleared ?? {} }
        : null,
      events: delivered.events,
      jobs: delivered.jobs,
      credentials: {
        reactions: minting,
        deliveries: minting.reduce((sum, name) => sum + delivered.jobs.byReaction[name]!.added, 0),
      },
      ...(request.dryRun ? { deliveries: delivered.deliveries } : {}),
      failed: delivered.failed,
      complete: delivered.complete,
    };
  }

  /**
   * Step by step (a page of events): each event's jobs for the chosen
   * reactions; of those not yet in Redis, the inbox records cleared
   * (reprocess) and the jobs added; then the cursor advanced. Dry: only
   * counted.
   */
  private async deliver(
    range: ReplayRange,
    reactions: readonly BoundReaction[],
    replayId: string,
    start: ReplayCursor | null,
    request: ReplayRequest,
  ): Promise<
    Pick<ReplayReport, 'events' | 'jobs' | 'failed' | 'complete'> & {
      cursor: ReplayCursor | null;
      deliveries: ReplayDelivery[];
      inbox: InboxTally;
    }
  > {
    const byReaction = Object.fromEntries(reactions.map((reaction) => [reaction.name, { added: 0, alreadyQueued: 0 }]));
    const inbox: InboxTally = {
      done: Object.fromEntries(reactions.map((reaction) => [reaction.name, 0])),
      inProgress: Object.fromEntries(reactions.map((reaction) => [reaction.name, 0])),
    };
    const failed: ReplayReport['failed'] = [];
    const deliveries: ReplayDelivery[] = [];
    const limit = request.limit ?? Number.POSITIVE_INFINITY;
    let events = 0;
    let after = start;
    let cursor = start;
    let complete = true;
    for (;;) {
      const page = await this.outbox.replayPage(range, after, Math.min(PAGE, limit - events));
      const jobs: { job: SinkJob; reaction: BoundReaction; occurredAt: Date }[] = [];
      for (const row of page.rows) {
        let event;
        try {
          event = this.catalog.load(row);
        } catch (error) {
          failed.push({ eventId: row.id, reaction: '*', error: messageOf(error) });
          continue;
        }
        const reacting = this.catalog.reactionsTo(event);
        for (const reaction of reactions.filter((candidate) => reacting.includes(candidate))) {
          try {
            const data = { ...reaction.toJobInput(event), eventId: event.eventId, correlationId: event.correlationId };
            const jobId = replayJobId(reaction.name, event.eventId, replayId);
            jobs.push({
              // In the event's trace, like its first delivery.
              job: { target: reaction.job, jobId, data, timestamp: Date.now(), traceparent: event.traceparent },
              reaction,
              occurredAt: event.occurredAt,
            });
          } catch (error) {
            failed.push({ eventId: event.eventId, reaction: reaction.name, error: messageOf(error) });
          }
        }
      }
      events += page.rows.length;
      const existing = await Promise.all(jobs.map(({ job }) => this.sink.exists(job.target, job.jobId)));
      const adding = jobs.filter((_, i) => !existing[i]);
      let cleared: Record<string, number> = {};
      if (request.reprocess && adding.length > 0) {
        // Only the records of the jobs queued in this step: an event a run has not reached keeps its "done".
        const tally = await this.replays.clearInbox(
          adding.map(({ job, reaction }) => ({ reaction: reaction.name, eventId: job.data.eventId })),
          !request.dryRun,
        );
        cleared = tally.done;
        for (const [name, n] of Object.entries(tally.done)) inbox.done[name]! += n;
        for (const [name, n] of Object.entries(tally.inProgress)) inbox.inProgress[name]! += n;
      }
      if (!request.dryRun) {
        await this.sink.enqueue(adding.map(({ job }) => job));
        if (page.last) await this.replays.advance(replayId, page.last, cleared);
      }
      jobs.forEach(({ job, reaction, occurredAt }, i) => {
        byReaction[reaction.name]![existing[i] ? 'alreadyQueued' : 'added']++;
        if (request.dryRun) {
          deliveries.push({
            eventId: job.data.eventId,
            occurredAt: occurredAt.toISOString(),
            reaction: reaction.name,
            jobId: job.jobId,
            alreadyQueued: existing[i]!,
            mintsCredentials: reaction.mintsCredentials,
          });
        }
      });
      cursor = page.last ?? cursor;
      after = page.next;
      if (!after) break;
      if (events >= limit) {
        // A full last page may have been the end of the range: look one row further.
        complete = (await this.outbox.replayPage(range, after, 1)).rows.length === 0;
        break;
      }
    }
    const total = (field: 'added' | 'alreadyQueued') => Object.values(byReaction).reduce((sum, counts) => sum + counts[field], 0);
    return {
      events,
      jobs: { added: total('added'), alreadyQueued: total('alreadyQueued'), byReaction },
      deliveries,
      inbox,
      failed,
      complete,
      cursor,
    };
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
