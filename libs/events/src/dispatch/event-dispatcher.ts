import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { batchSpanOptions, inSpan, LATENCY_BUCKETS, Metrics, SpanKind } from '@herald/observability';
import { EventCatalogExplorer } from '../catalog/event-catalog-explorer.js';
import { JOB_SINK, type JobSink, type SinkJob } from '../delivery/job-sink.js';
import type { DomainEvent } from '../domain/domain-event.js';
import { OutboxMarks } from '../outbox/outbox-marks.js';
import { deliveryJobs } from './delivery-jobs.js';
import { GroupedMarks } from './grouped-marks.js';

export interface DispatchOptions {
  /** Who dispatches: the committing process right after commit, or the relay later. */
  readonly source: 'post-commit' | 'relay';
  /** When each event's transaction committed (ms since epoch, by event id); the relay uses each event's creation time. */
  readonly committedAt?: ReadonlyMap<string, number>;
}

export interface DispatchOutcome {
  readonly dispatched: readonly string[];
  readonly failed: ReadonlyMap<string, Error>;
}

/** A dispatch seen in its two steps (see EventDispatcher.dispatchInStages). */
export interface StagedDispatch {
  /** Resolves once the job sink answered: the jobs are in Redis (or failed to get there). Never rejects. */
  readonly enqueued: Promise<void>;
  /** Resolves when the rows are marked dispatched and in-process handlers have the events. */
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

  constructor(
    private readonly catalog: EventCatalogExplorer,
    @Inject(JOB_SINK) private readonly sink: JobSink,
    outbox: OutboxMarks,
    private readonly eventBus: EventBus,
    metrics: Metrics,
  ) {
    this.marks = new GroupedMarks((ids) => outbox.markDispatched(ids));
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

  /**
   * The same dispatch, with the moment the job sink answered made visible:
   * what a caller waits for before it sends the next batch to Redis. The rows'
   * UPDATE then runs on its own — it needs a Postgres connection, which under
   * load waits behind the commits themselves, and the next events must not wait
   * behind it (a repeat after a crash before the UPDATE is a no-op: job ids are
   * derived from reaction + event).
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
      return { dispatched: [], failed };
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
    await this.marks.mark(dispatched);
    // In-process reactions only; @nestjs/cqrs isolates handler errors.
    this.eventBus.publishAll(events.filter((event) => healthy.has(event.eventId)));
    return { dispatched, failed };
  }
}
