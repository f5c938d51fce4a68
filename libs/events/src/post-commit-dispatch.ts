import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import type { DomainEvent } from './domain-event.js';
import { EventDispatcher } from './event-dispatcher.js';

/**
 * Dispatches a transaction's events right after its commit, off the request's
 * critical path. Failures are logged and left to the relay (the rows stay
 * pending). In-flight dispatches are awaited on shutdown.
 */
@Injectable()
export class PostCommitDispatch implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PostCommitDispatch.name);
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly config: HeraldConfig,
  ) {}

  afterCommit(events: readonly DomainEvent[]): void {
    if (events.length === 0) return;
    if (this.config.faults.crashAfterCommit) {
      // Test-only fault hook (refused in production by the config schema):
      // die between commit and dispatch, as a crash or OOM kill would.
      process.kill(process.pid, 'SIGKILL');
    }
    // Test-only fault hook (refused in production): leave the events to the relay.
    if (this.config.faults.skipDispatch) return;
    const committedAt = Date.now();
    const dispatch = this.dispatcher
      .dispatch(events, { source: 'post-commit', committedAt })
      .catch((error: unknown) => this.logger.warn({ msg: 'post-commit dispatch failed; relay will retry', err: error }))
      .finally(() => this.inFlight.delete(dispatch));
    this.inFlight.add(dispatch);
  }

  /** Resolves when every dispatch started so far has settled. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Before the shutdown hooks close the pools. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }
}
