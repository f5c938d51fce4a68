import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import type { DomainEvent } from '../domain/domain-event.js';
import { EventDispatcher } from './event-dispatcher.js';

/** Most events handed to one dispatch (one addBulk per queue, one UPDATE). */
export const MAX_DISPATCH_BATCH = 500;
/**
 * Dispatches under way at once: two let one batch's addBulk go to Redis while
 * the previous batch's UPDATE is in Postgres, instead of queueing behind it.
 */
export const MAX_CONCURRENT_DISPATCHES = 2;
/**
 * Dispatches whose jobs are in Redis but whose rows are still being marked
 * (one UPDATE each). A lane moves on to its next batch as soon as Redis has
 * the jobs; beyond this many unfinished UPDATEs it waits for one, so a slow
 * Postgres slows the lanes down instead of piling up statements.
 */
export const MAX_MARKS_IN_FLIGHT = 4;

/**
 * Dispatches committed transactions' events right after their commit, off the
 * request's critical path. Failures are logged and left to the relay (the rows
 * stay pending). In-flight dispatches are awaited on shutdown.
 *
 * Group dispatch: while MAX_CONCURRENT_DISPATCHES dispatches are on their way
 * to Redis and Postgres, the events of every transaction that commits
 * meanwhile wait and then go together in the next one. An idle process
 * dispatches at once (one event loop turn later, so commits of the same turn
 * share it); under load each dispatch carries many transactions' events, so
 * the per-event cost of the two round trips (addBulk, UPDATE ... dispatched)
 * shrinks as the load grows — the same idea as Postgres's group commit.
 * Nothing waits for a timer. A lane holds its place only until Redis has the
 * batch's jobs: the UPDATE that marks the rows needs a Postgres connection,
 * which under load waits behind the commits themselves, and the next commits'
 * jobs must not wait behind it (MAX_MARKS_IN_FLIGHT bounds these UPDATEs).
 *
 * The backlog is bounded (OUTBOX_DISPATCH_BACKLOG_LIMIT): when Redis is slow
 * and events pile up faster than they leave, further events are left to the
 * relay — their rows are pending, so nothing is lost — and counted in
 * herald_outbox_dispatch_overflow_total.
 */
@Injectable()
export class PostCommitDispatch implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PostCommitDispatch.name);
  /** Committed events waiting for the next dispatch, with their commit times. */
  private readonly waiting: { event: DomainEvent; committedAt: number }[] = [];
  /** Dispatch lanes at work: each takes waiting events, dispatches them, and repeats until none wait. */
  private activeLanes = 0;
  private readonly lanes = new Set<Promise<void>>();
  /** Dispatches past their enqueue, marking their rows. */
  private readonly marking = new Set<Promise<void>>();
  /** A lane was started and has not yet taken its first batch (it will take everything waiting). */
  private laneStarting = false;
  private readonly overflow;

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly config: HeraldConfig,
    metrics: Metrics,
  ) {
    this.overflow = metrics.counter({
      name: 'herald_outbox_dispatch_overflow_total',
      help: 'Committed events left to the relay because the post-commit backlog was full (Redis slow)',
    });
  }

  /** Committed events waiting for a dispatch lane. */
  get backlog(): number {
    return this.waiting.length;
  }

  afterCommit(events: readonly DomainEvent[]): void {
    if (events.length === 0) return;
    const room = Math.max(0, this.config.outbox.dispatchBacklogLimit - this.waiting.length);
    if (events.length > room) {
      this.overflow.inc(events.length - room);
      if (room === 0) return;
    }
    const committedAt = Date.now();
    for (const event of events.slice(0, room)) this.waiting.push({ event, committedAt });
    if (!this.laneStarting && this.activeLanes < MAX_CONCURRENT_DISPATCHES) {
      this.laneStarting = true;
      this.activeLanes++;
      const lane: Promise<void> = this.dispatchWaiting().finally(() => this.lanes.delete(lane));
      this.lanes.add(lane);
    }
  }

  /** Resolves when every event handed over so far has been dispatched (or left to the relay). */
  async drain(): Promise<void> {
    while (this.lanes.size > 0 || this.marking.size > 0) await Promise.all([...this.lanes, ...this.marking]);
  }

  /** Before the shutdown hooks close the pools. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /** One lane: dispatches batches until nothing waits; never rejects. */
  private async dispatchWaiting(): Promise<void> {
    try {
      await new Promise<void>((resolve) => setImmediate(resolve)); // let this turn's other commits join
      this.laneStarting = false;
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_DISPATCH_BATCH);
        const committedAt = new Map(batch.map((entry) => [entry.event.eventId, entry.committedAt]));
        const { enqueued, done } = this.dispatcher.dispatchInStages(
          batch.map((entry) => entry.event),
          { source: 'post-commit', committedAt },
        );
        const marked: Promise<void> = done
          .then(
            () => undefined,
            (error: unknown) =>
              this.logger.warn({ msg: 'post-commit dispatch failed; relay will retry', events: batch.length, err: error }),
          )
          .finally(() => this.marking.delete(marked));
        this.marking.add(marked);
        await enqueued;
        while (this.marking.size > MAX_MARKS_IN_FLIGHT) await Promise.race(this.marking);
      }
    } finally {
      // In the same turn as the last check of `waiting`: a commit that comes after it starts a lane.
      this.activeLanes--;
    }
  }
}
