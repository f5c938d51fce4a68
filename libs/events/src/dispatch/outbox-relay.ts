import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { Correlation, Metrics } from '@herald/observability';
import { EventCatalogExplorer } from '../catalog/event-catalog-explorer.js';
import type { OutboxEventRow } from '../outbox/outbox-event-row.js';
import { RelayClaims } from '../outbox/relay-claims.js';
import { EnqueueFailedError, EventDispatcher } from './event-dispatcher.js';

export const RELAY_ENABLED = Symbol('RELAY_ENABLED');

export interface RelayRunResult {
  readonly claimed: number;
  readonly dispatched: number;
  readonly failed: number;
  readonly dead: number;
}

const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Delivers outbox rows that the post-commit dispatch did not (the process died
 * after commit, Redis was down, a reaction threw). Polls; it is never woken by
 * NOTIFY inside a business transaction. Safe to run in every worker.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private abort = new AbortController();
  private readonly redeliveries;
  private readonly deadLetters;
  private readonly relayFailures;

  constructor(
    private readonly claims: RelayClaims,
    private readonly dispatcher: EventDispatcher,
    private readonly catalog: EventCatalogExplorer,
    private readonly config: HeraldConfig,
    @Inject(RELAY_ENABLED) private readonly enabled: boolean,
    metrics: Metrics,
  ) {
    this.redeliveries = metrics.counter({
      name: 'herald_outbox_relay_redeliveries_total',
      help: 'Events the relay delivered (the in-process dispatch had not)',
    });
    this.deadLetters = metrics.counter({ name: 'herald_outbox_dead_letters_total', help: 'Outbox rows moved to dead letters' });
    this.relayFailures = metrics.counter({ name: 'herald_outbox_relay_failures_total', help: 'Failed relay attempts (will be retried)' });
  }

  onApplicationBootstrap(): void {
    if (this.enabled && this.config.outbox.relayEnabled) this.start();
  }

  /** Finishes the current batch before the shutdown hooks close the pools. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    // Several loops overlap one batch's Postgres work with another's Redis work; SKIP LOCKED keeps them apart.
    this.loop = Promise.all(Array.from({ length: this.config.outbox.relayConcurrency }, () => this.runLoop())).then(() => undefined);
    this.logger.log({ msg: 'outbox relay started', intervalMs: this.config.outbox.relayIntervalMs });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  /** Claims and dispatches one batch of due rows. */
  async runOnce(): Promise<RelayRunResult> {
    const { batchSize, maxAttempts, relayIntervalMs } = this.config.outbox;
    // The lease must comfortably exceed one dispatch; the relay re-checks after it.
    const leaseMs = Math.max(30_000, relayIntervalMs * 10);
    const rows = await this.claims.claimDue(batchSize, leaseMs);
    if (rows.length === 0) return { claimed: 0, dispatched: 0, failed: 0, dead: 0 };

    const { events, poison } = this.catalog.catalog.loadAll(rows);
    const failures = new Map<string, Error>(poison);
    const outcome = await this.dispatcher.dispatch(events, { source: 'relay' }).catch((error: unknown) => ({
      dispatched: [] as string[],
      failed: new Map<string, Error>(events.map((event) => [event.eventId, new EnqueueFailedError(error)])),
    }));
    for (const [id, error] of outcome.failed) failures.set(id, error);

    let dead = 0;
    for (const row of rows.filter((candidate) => failures.has(candidate.id))) {
      const error = failures.get(row.id)!;
      // Only the event itself can be poison; an unreachable Redis never dead-letters a row.
      const isDead = row.attempts >= maxAttempts && !(error instanceof EnqueueFailedError);
      if (isDead) dead++;
      // Redis away: come back soon (the outage, not the row, is the problem); otherwise back off.
      const retryInMs =
        error instanceof EnqueueFailedError ? Math.min(5000, this.config.outbox.relayIntervalMs * 5) : this.backoffMs(row.attempts);
      await this.claims.recordFailure(row.id, error.message, isDead, retryInMs);
      this.logFailure(row, error, isDead);
    }
    this.redeliveries.inc(outcome.dispatched.length);
    this.relayFailures.inc(failures.size);
    this.deadLetters.inc(dead);
    if (outcome.dispatched.length > 0) {
      this.logger.log({ msg: 'outbox relay redelivered events', count: outcome.dispatched.length });
    }
    return { claimed: rows.length, dispatched: outcome.dispatched.length, failed: failures.size, dead };
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        ({ claimed } = await this.runOnce());
      } catch (error) {
        this.logger.warn({ msg: 'outbox relay run failed', err: error });
      }
      // A full batch means there is more: go again at once.
      if (claimed < this.config.outbox.batchSize) {
        await sleep(this.config.outbox.relayIntervalMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  /** Exponential backoff with jitter, capped. */
  private backoffMs(attempts: number): number {
    const base = Math.min(MAX_BACKOFF_MS, this.config.outbox.relayIntervalMs * 2 ** Math.min(attempts, 20));
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  private logFailure(row: OutboxEventRow, error: Error, dead: boolean): void {
    Correlation.run({ correlationId: row.correlationId, causationId: row.id }, () => {
      const details = { eventId: row.id, eventType: row.eventType, attempts: row.attempts, err: error };
      if (dead) this.logger.error({ msg: 'outbox row moved to dead letters', ...details });
      else this.logger.warn({ msg: 'outbox relay attempt failed; will retry', ...details });
    });
  }
}
