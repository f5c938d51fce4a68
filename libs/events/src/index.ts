export { BoundedContext, boundedContextOf, type BoundedContextOptions } from './bounded-context.js';
export { deliveryJobId, parseDeliveryJobId, REPLAY_ID, replayJobId, type DeliveryKey } from './delivery-id.js';
export { DomainEvent, type DomainEventClass, type DomainEventMetadata } from './domain-event.js';
export { EventCatalog, EventCatalogError, UnknownEventTypeError, type StoredEvent } from './event-catalog.js';
export { catalogOfModules, EventCatalogExplorer } from './event-catalog-explorer.js';
export { EnqueueFailedError, EventDispatcher, type DispatchOutcome, type StagedDispatch } from './event-dispatcher.js';
export { EventRetention } from './event-retention.js';
export { EventsModule, type EventsModuleOptions } from './events.module.js';
export {
  DeliveryInProgressError,
  Inbox,
  type DeliveryContext,
  type DeliverySteps,
  type EffectJournal,
  type InboxOutcome,
} from './inbox.js';
export { InboxRecord, InboxStatus } from './inbox-record.entity.js';
export { JOB_SINK, type JobSink, type JobTarget, type SinkJob } from './job-sink.js';
export { OutboxRecord, OutboxStatus } from './outbox-record.entity.js';
export { OutboxRelay, type RelayRunResult } from './outbox-relay.js';
export {
  OutboxRowError,
  OutboxStore,
  type ClaimedRow,
  type DeadOutboxRow,
  type DispatchLag,
  type EventTypeCounts,
  type OutboxStats,
  type OutboxBacklog,
  BACKLOG_COUNTED_UP_TO,
  type RequeuedRow,
  type ReplayCursor,
  type ReplayPage,
  type ReplayRange,
  type RequeueSelection,
} from './outbox-store.js';
export {
  deriveReplayId,
  OutboxReplay,
  reactionsOfRequest,
  ReplayRequestError,
  type ReplayDelivery,
  type ReplayReport,
  type ReplayRequest,
} from './outbox-replay.js';
export { OutboxReplayRecord } from './outbox-replay-record.entity.js';
export { formatReplayCursor, parseReplayCursor } from './replay-cursor.js';
export {
  ReplayMismatchError,
  ReplayStore,
  type InboxTally,
  type ReplayDefinition,
  type ReplayPair,
  type StoredReplay,
} from './replay-store.js';
export { PostCommitDispatch } from './post-commit-dispatch.js';
export { Retention, type PruneBatch, type PruneResult, type TableSize } from './retention.js';
export {
  Reaction,
  reactionsOf,
  unboundReactionsOf,
  type BoundReaction,
  type ReactionDescriptor,
  type ReactionOptions,
} from './reaction.js';
export { NoActiveTransactionError, TransactionAbortedError, UnitOfWork, UnitOfWorkMisuseError } from './unit-of-work.js';

export { eventsWithMissingJobs } from './reconcile.js';
export { DomainError } from './domain-error.js';
