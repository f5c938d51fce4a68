import type { AnyJob } from '@herald/jobs';
import type { DomainEvent, DomainEventClass } from './domain-event.js';

/**
 * Turns one committed event into one job. Sagas are pure: the dispatcher
 * enqueues what they return, with a job id derived from (saga name, event id),
 * so re-delivering the same event never adds a second job.
 */
export interface JobSaga<E extends DomainEvent = DomainEvent> {
  /** Stable, part of every job id this saga creates. NEVER rename. No ':' allowed. */
  readonly name: string;
  readonly reactsTo: DomainEventClass<E>;
  toJob(event: E): AnyJob;
}

/** What a bounded context contributes to the event pipeline. */
export interface EventCatalogEntry {
  readonly events: readonly DomainEventClass[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each saga narrows its own event type
  readonly sagas: readonly JobSaga<any>[];
}
