// The public surface of @herald/events, by who uses it. Everything else is the lib's own.

// Bounded contexts: their events and errors, reactions, transactions, and deliveries done once.
export { DomainEvent } from './domain/domain-event.js';
export { DomainError } from './domain/domain-error.js';
export { BoundedContext, boundedContextOf } from './catalog/bounded-context.js';
export { Reaction, reactionsOf } from './catalog/reaction.js';
export { UnitOfWork, type NestedRuns, type RunOptions } from './unit-of-work/unit-of-work.js';
export { RollbackOnlyError, TransactionAbortedError, UnitOfWorkMisuseError } from './unit-of-work/unit-of-work-errors.js';
export type { AheadStatement } from './unit-of-work/deferred-statements.js';
export { Inbox, type InboxOutcome } from './inbox/inbox.js';
export { Retention, type PruneResult } from './retention/retention.js';
export { retentionEveryMs } from './retention/retention-schedule.js';

// The job platform (libs/jobs): the port it implements, the catalog it serves, and the delivery's ids.
export { JOB_SINK, type JobSink, type JobTarget, type SinkJob } from './delivery/job-sink.js';
export { deliveryJobId, parseDeliveryJobId, replayJobId, REPLAY_ID } from './delivery/delivery-id.js';
export { type DeliveryContext, type DeliverySteps, type EffectJournal } from './inbox/inbox.js';
export { EventCatalogExplorer } from './catalog/event-catalog-explorer.js';
export { providerClassesOf } from './catalog/catalog-of-modules.js';
export { EventRetention, pruneDispatchedOutbox } from './retention/event-retention.js';

// The apps: the module, what the worker runs, and what operators read and repair (console, ops CLI).
export { EventsModule, EVENT_ENTITIES } from './events.module.js';
export { PostCommitDispatch } from './dispatch/post-commit-dispatch.js';
export { OutboxRelay } from './dispatch/outbox-relay.js';
export { OutboxStatus } from './outbox/outbox-record.entity.js';
export { parseEventId } from './domain/event-id.js';
export {
  BACKLOG_COUNTED_UP_TO,
  OutboxQueries,
  type DeadOutboxRow,
  type DispatchLag,
  type EventTypeCounts,
} from './outbox/outbox-queries.js';
export { OutboxRepairs, OutboxRowError, type RequeuedRow } from './outbox/outbox-repairs.js';
export { eventsWithMissingJobs } from './dispatch/reconcile.js';
export { catalogOfModules } from './catalog/catalog-of-modules.js';

// Replay (ops CLI outbox:replay).
export { OutboxReplay } from './replay/outbox-replay.js';
export { reactionsOfRequest, ReplayRequestError } from './replay/replay-request.js';
export { type ReplayDelivery, type ReplayReport } from './replay/replay-report.js';
export { ReplayMismatchError } from './replay/replay-store.js';
export { parseReplayCursor } from './replay/replay-cursor.js';
export { type ReplayCursor } from './outbox/replay-rows.js';
