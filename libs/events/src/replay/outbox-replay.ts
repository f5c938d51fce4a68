import type { DataSource } from 'typeorm';
import type { EventCatalog } from '../catalog/event-catalog.js';
import type { BoundReaction } from '../catalog/reaction.js';
import type { JobSink } from '../delivery/job-sink.js';
import { deliveryJobs, type DeliveryJob } from '../dispatch/delivery-jobs.js';
import type { DomainEvent } from '../domain/domain-event.js';
import { ReplayRows, type ReplayCursor, type ReplayRange } from '../outbox/replay-rows.js';
import { formatReplayCursor } from './replay-cursor.js';
import type { ReplayDelivery, ReplayReport } from './replay-report.js';
import { deriveReplayId, reactionsOfRequest, ReplayRequestError, type ReplayRequest } from './replay-request.js';
import { ReplayStore, type InboxTally, type StoredReplay } from './replay-store.js';

/** Events read and enqueued per page. */
const PAGE = 200;

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
    private readonly rows: Pick<ReplayRows, 'page' | 'countByStatus'>,
    private readonly replays: ReplayStore,
    private readonly sink: JobSink,
  ) {}

  /** Replays over one database's outbox and replay records (the ops CLI's), queueing into `sink`. */
  static over(dataSource: DataSource, catalog: EventCatalog<BoundReaction>, sink: JobSink): OutboxReplay {
    return new OutboxReplay(catalog, new ReplayRows(dataSource), new ReplayStore(dataSource), sink);
  }

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

    const counts = await this.rows.countByStatus(range);
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
      const page = await this.rows.page(range, after, Math.min(PAGE, limit - events));
      const { events: loaded, poison } = this.catalog.loadAll(page.rows);
      for (const [eventId, error] of poison) failed.push({ eventId, reaction: '*', error: error.message });
      const jobs: (DeliveryJob & { event: DomainEvent })[] = [];
      for (const event of loaded) {
        const reacting = this.catalog.reactionsTo(event);
        const chosen = reactions.filter((candidate) => reacting.includes(candidate));
        // Timestamped now and in the event's trace, like its first delivery.
        const mapped = deliveryJobs(event, chosen, { timestamp: Date.now(), replayId });
        jobs.push(...mapped.jobs.map((job) => ({ ...job, event })));
        for (const { reaction, error } of mapped.failures) failed.push({ eventId: event.eventId, reaction, error: error.message });
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
      jobs.forEach(({ job, reaction, event }, i) => {
        byReaction[reaction.name]![existing[i] ? 'alreadyQueued' : 'added']++;
        if (request.dryRun) {
          deliveries.push({
            eventId: job.data.eventId,
            occurredAt: event.occurredAt.toISOString(),
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
        complete = (await this.rows.page(range, after, 1)).rows.length === 0;
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
