import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { HeraldConfig } from '@herald/config';
import { batchSpanOptions, inSpan, LATENCY_BUCKETS, Metrics, SpanKind } from '@herald/observability';
import { EventCatalogExplorer } from '../catalog/event-catalog-explorer.js';
import { JOB_SINK, type JobSink, type SinkJob } from '../delivery/job-sink.js';
import type { DomainEvent } from '../domain/domain-event.js';
import { OutboxMarks } from '../outbox/outbox-marks.js';
import { deliveryJobs } from './delivery-jobs.js';
import { GroupedMarks, type LostMark } from './grouped-marks.js';

/**
 * Least time between two mark UPDATEs: under load, the rows of this time share
 * one statement and one commit (the marks are off every caller's path, so
 * a wait here delays nobody's jobs — only the in-process handlers, which run
 * after the mark).
 */
export const MARK_INTERVAL_MS = 10;

export interface DispatchOptions {
  /** Who dispatches: the committing process right after commit, or the relay later. */
  readonly source: 'post-commit' | 'relay';
  /** When each event's transaction committed (ms since epoch, by event id); the relay uses each event's creation time. */
  readonly committedAt?: ReadonlyMap<string, number>;
}

export interface DispatchOutcome {
  /** Events whose jobs the job sink acknowledged. */
  readonly dispatched: readonly string[];
  readonly failed: ReadonlyMap<string, Error>;
  /**
   * Whether the dispatched events' rows were marked (then the in-process
   * handlers have the events). When not (the mark was dropped or failed),
   * the rows stay pending and the relay delivers them again: a no-op for
   * the jobs, and the handlers get the events then.
   */
  readonly marked: boolean;
}

/** A dispatch seen in its two steps (see EventDispatcher.dispatchInStages). */
export interface StagedDispatch {
  /** Resolves once the job sink answered: the jobs are in Redis (or failed to get there). Never rejects. */
  readonly enqueued: Promise<void>;
  /** Resolves when the rows are marked dispatched (or their mark was lost) and in-process handlers have the events. */
  readonly done: Promise<DispatchOutcome>;
}

/** The job sink did not take the jobs (Redis down, a timeout): an infrastructure failure, never a poison event. */
export class EnqueueFailedError extends Error {
  constructor(cause: unknown) {
    super(`enqueue failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EnqueueFailedError';
  }
}

/**
 * Delivers committed events: every reaction's job goes to the job sink (ids
 * derived from reaction + event, so a repeat is a no-op), the rows are marked
 * dispatched only after the sink acknowledged the jobs, and then the events are
 * published on the in-process EventBus. Used after commit and by the relay alike.
 *
 * A failing reaction fails only its own event; the others go on.
 */
@Injectable()
export class EventDispatcher {
  private readonly logger = new Logger(EventDispatcher.name);
  private readonly commitToEnqueue;
  private readonly marks: GroupedMarks;
  private lostMarkLoggedAt = -Infinity;

  constructor(
    private readonly catalog: EventCatalogExplorer,
    @Inject(JOB_SINK) private readonly sink: JobSink,
    outbox: OutboxMarks,
    private readonly eventBus: EventBus,
    metrics: Metrics,
    config: HeraldConfig,
  ) {
    const lostMarks = metrics.counter({
      name: 'herald_outbox_marks_lost_total',
      help: 'Dispatched events whose rows were not marked (reason: backlog_full while Postgres is slow, update_failed); the relay delivers them again after the grace period, deduplicated',
      labelNames: ['reason'],
    });
    this.marks = new GroupedMarks((ids) => outbox.markDispatched(ids), {
      backlogLimit: config.outbox.markBacklogLimit,
      intervalMs: MARK_INTERVAL_MS,
      onLost: (count: number, reason: LostMark, error?: unknown) => {
        lostMarks.inc({ reason }, count);
        // The counter has every one; the log says that it happens, at most once a second (Postgres slow: every dispatch).
        const now = Date.now();
        if (now - this.lostMarkLoggedAt < 1000) return;
        this.lostMarkLoggedAt = now;
        this.logger.warn({
          msg: 'outbox rows not marked dispatched; the relay will deliver them again',
          reason,
          events: count,
          err: error,
        });
      },
    });
    this.commitToEnqueue = metrics.histogram({
      name: 'herald_outbox_commit_to_enqueue_seconds',
      help: 'Time from commit (relay: from the event) until Redis acknowledged its jobs',
      labelNames: ['source'],
      buckets: LATENCY_BUCKETS,
    });
  }

  /**
   * One span per dispatch: a child of the event's trace when the batch serves
   * one trace, otherwise a trace of its own linked to each event's.
   */
  dispatch(events: readonly DomainEvent[], options: DispatchOptions): Promise<DispatchOutcome> {
    return this.dispatchInStages(events, options).done;
  }

  /** Ids handed to the marks and not yet marked or lost. */
  get marksPending(): number {
    return this.marks.pending;
  }

  /**
   * The same dispatch, with the moment the job sink answered made visible:
   * what a caller waits for before it sends the next batch to Redis. The rows'
   * UPDATE then runs on its own (GroupedMarks, on a connection of its own),
   * and nothing waits for it before sending more jobs (a repeat after a crash
   * before the UPDATE is a no-op: job ids are derived from reaction + event).
   */
  dispatchInStages(events: readonly DomainEvent[], options: DispatchOptions): StagedDispatch {
    let signalEnqueued!: () => void;
    const enqueued = new Promise<void>((resolve) => (signalEnqueued = resolve));
    const done = inSpan(
      'outbox dispatch',
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'herald.dispatch.source': options.source, 'herald.dispatch.events': events.length },
        ...batchSpanOptions(events.map((event) => event.traceparent)),
      },
      () => this.dispatchEvents(events, options, signalEnqueued),
    ).finally(signalEnqueued);
    return { enqueued, done };
  }

  private async dispatchEvents(
    events: readonly DomainEvent[],
    options: DispatchOptions,
    signalEnqueued: () => void,
  ): Promise<DispatchOutcome> {
    const failed = new Map<string, Error>();
    const jobsToAdd: SinkJob[] = [];
    for (const event of events) {
      const timestamp = options.committedAt?.get(event.eventId) ?? event.occurredAt.getTime();
      const { jobs, failures } = deliveryJobs(event, this.catalog.catalog.reactionsTo(event), { timestamp });
      for (const { reaction, error } of failures) {
        this.logger.error({ msg: 'reaction failed', reaction, eventId: event.eventId, err: error });
      }
      // A failing reaction fails its event: none of its jobs go, and the relay tries the event again.
      const [failure] = failures;
      if (failure) failed.set(event.eventId, failure.error);
      else jobsToAdd.push(...jobs.map(({ job }) => job));
    }

    const healthy = new Set(events.map((event) => event.eventId).filter((id) => !failed.has(id)));
    try {
      await this.sink.enqueue(jobsToAdd);
    } catch (error) {
      const enqueueError = new EnqueueFailedError(error);
      for (const id of healthy) failed.set(id, enqueueError);
      return { dispatched: [], failed, marked: false };
    } finally {
      signalEnqueued();
    }

    const acknowledgedAt = Date.now();
    for (const event of events) {
      if (!healthy.has(event.eventId)) continue;
      const since = options.committedAt?.get(event.eventId) ?? event.occurredAt.getTime();
      this.commitToEnqueue.observe({ source: options.source }, Math.max(0, acknowledgedAt - since) / 1000);
    }
    const dispatched = [...healthy];
    // Only marked events reach the in-process handlers: an unmarked row comes back through the relay, which publishes it then.
    const marked = await this.marks.mark(dispatched);
    // In-process reactions only; @nestjs/cqrs isolates handler errors.
    if (marked) this.eventBus.publishAll(events.filter((event) => healthy.has(event.eventId)));
    return { dispatched, failed, marked };
  }
}
