import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import type { DomainEvent } from '../domain/domain-event.js';
import { EventDispatcher, type StagedDispatch } from './event-dispatcher.js';

/** Most events handed to one dispatch (one addBulk per queue, one share of a mark UPDATE). */
export const MAX_DISPATCH_BATCH = 500;

/**
 * Dispatches committed transactions' events right after their commit. Failures
 * are logged and left to the relay (the rows stay pending). In-flight
 * dispatches are awaited on shutdown.
 *
 * An idle process sends a commit's jobs to Redis at once, in the call that
 * reports the commit — no event loop turn, no timer, as the naive
 * "queue.add after COMMIT" would. Group dispatch only under load: while
 * OUTBOX_DISPATCH_CONCURRENCY enqueues are on their way (the lanes), the
 * events of every transaction that commits meanwhile wait and then go
 * together in the next one, so the per-event cost of the Redis round trip
 * (mostly socket writes: a dispatch of one event costs about three times the
 * CPU per event of one of sixteen) shrinks as the load grows — the same idea
 * as Postgres's group commit. A lane holds its place only
 * until Redis has the batch's jobs: marking the rows dispatched happens off
 * this path altogether (GroupedMarks, on a connection of its own), and no
 * lane ever waits for a mark.
 *
 * The backlog is bounded (OUTBOX_DISPATCH_BACKLOG_LIMIT): when Redis is slow
 * and events pile up faster than they leave, further events are left to the
 * relay — their rows are pending, so nothing is lost — and counted in
 * herald_outbox_dispatch_overflow_total.
 */
@Injectable()
export class PostCommitDispatch implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PostCommitDispatch.name);
  /** Committed events waiting for a lane, with their commit times. */
  private readonly waiting: { event: DomainEvent; committedAt: number }[] = [];
  /** Lanes at work: each sends waiting events, waits for Redis, and repeats until none wait. */
  private activeLanes = 0;
  private readonly lanes = new Set<Promise<void>>();
  /** Dispatches past their enqueue whose rows are being marked (awaited only by drain and shutdown). */
  private readonly marking = new Set<Promise<void>>();
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

  /** Called once the outermost transaction committed. Never throws: nothing may fail the caller now. */
  afterCommit(events: readonly DomainEvent[]): void {
    if (events.length === 0) return;
    const room = Math.max(0, this.config.outbox.dispatchBacklogLimit - this.waiting.length);
    if (events.length > room) {
      this.overflow.inc(events.length - room);
      if (room === 0) return;
    }
    const committedAt = Date.now();
    for (const event of events.slice(0, room)) this.waiting.push({ event, committedAt });
    if (this.activeLanes < this.config.outbox.dispatchConcurrency) this.startLane();
  }

  /** Resolves when every event handed over so far has been dispatched and marked (or left to the relay). */
  async drain(): Promise<void> {
    while (this.lanes.size > 0 || this.marking.size > 0) await Promise.all([...this.lanes, ...this.marking]);
  }

  /**
   * Before the shutdown hooks close the pools: every enqueue (each bounded by
   * JOB_ENQUEUE_TIMEOUT_MS), then the marks for at most half of
   * SHUTDOWN_TIMEOUT_MS — rows still unmarked then are delivered again by the
   * relay, deduplicated.
   */
  async beforeApplicationShutdown(): Promise<void> {
    while (this.lanes.size > 0) await Promise.all([...this.lanes]);
    const stopWaiting = new AbortController();
    const boundMs = this.config.lifecycle.shutdownTimeoutMs / 2;
    const outcome = await Promise.race([
      this.drain().then(() => 'drained' as const),
      sleep(boundMs, 'bounded' as const, { signal: stopWaiting.signal, ref: false }),
    ]);
    stopWaiting.abort();
    if (outcome === 'bounded') {
      this.logger.warn({
        msg: 'stopping with rows still being marked; the relay will deliver them again',
        events: this.dispatcher.marksPending,
      });
    }
  }

  private startLane(): void {
    this.activeLanes++;
    const lane: Promise<void> = this.dispatchWaiting().finally(() => this.lanes.delete(lane));
    this.lanes.add(lane);
  }

  /**
   * One lane: sends batches until nothing waits; never rejects. It runs
   * synchronously up to its first enqueue, so the commit that started it has
   * its jobs on the way to Redis before afterCommit returns.
   */
  private async dispatchWaiting(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_DISPATCH_BATCH);
        await this.dispatch(batch);
      }
    } finally {
      // In the same turn as the last check of `waiting`: a commit that comes after it starts a lane.
      this.activeLanes--;
    }
  }

  /** Sends one batch; resolves once Redis answered for its jobs, while their rows' marks go on by themselves. */
  private dispatch(batch: { event: DomainEvent; committedAt: number }[]): Promise<void> {
    const committedAt = new Map(batch.map((entry) => [entry.event.eventId, entry.committedAt]));
    let staged: StagedDispatch;
    try {
      staged = this.dispatcher.dispatchInStages(
        batch.map((entry) => entry.event),
        { source: 'post-commit', committedAt },
      );
    } catch (error) {
      this.logger.error({ msg: 'post-commit dispatch failed; relay will retry', events: batch.length, err: error });
      return Promise.resolve();
    }
    const marked: Promise<void> = staged.done
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn({ msg: 'post-commit dispatch failed; relay will retry', events: batch.length, err: error }),
      )
      .finally(() => this.marking.delete(marked));
    this.marking.add(marked);
    return staged.enqueued;
  }
}
