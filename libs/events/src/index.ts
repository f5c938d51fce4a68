export { BoundedContext, boundedContextOf, type BoundedContextOptions } from './catalog/bounded-context.js';
export { deliveryJobId, parseDeliveryJobId, REPLAY_ID, replayJobId, type DeliveryKey } from './dispatch/delivery-id.js';
export { DomainEvent, type DomainEventClass, type DomainEventMetadata } from './domain/domain-event.js';
export { EventCatalog, EventCatalogError, UnknownEventTypeError, type StoredEvent } from './catalog/event-catalog.js';
export { catalogOfModules, EventCatalogExplorer } from './catalog/event-catalog-explorer.js';
export { EnqueueFailedError, EventDispatcher, type DispatchOutcome, type StagedDispatch } from './dispatch/event-dispatcher.js';
export { EventRetention } from './retention/event-retention.js';
export { EventsModule, type EventsModuleOptions } from './events.module.js';
export {
  DeliveryInProgressError,
  Inbox,
  type DeliveryContext,
  type DeliverySteps,
  type EffectJournal,
  type InboxOutcome,
} from './inbox/inbox.js';
export { InboxRecord, InboxStatus } from './inbox/inbox-record.entity.js';
export { JOB_SINK, type JobSink, type JobTarget, type SinkJob } from './dispatch/job-sink.js';
export { OutboxRecord, OutboxStatus } from './outbox/outbox-record.entity.js';
export { OutboxRelay, type RelayRunResult } from './dispatch/outbox-relay.js';
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
} from './outbox/outbox-store.js';
export {
  deriveReplayId,
  OutboxReplay,
  reactionsOfRequest,
  ReplayRequestError,
  type ReplayDelivery,
  type ReplayReport,
  type ReplayRequest,
} from './replay/outbox-replay.js';
export { OutboxReplayRecord } from './replay/outbox-replay-record.entity.js';
export { formatReplayCursor, parseReplayCursor } from './replay/replay-cursor.js';
export {
  ReplayMismatchError,
  ReplayStore,
  type InboxTally,
  type ReplayDefinition,
  type ReplayPair,
  type StoredReplay,
} from './replay/replay-store.js';
export { PostCommitDispatch } from './dispatch/post-commit-dispatch.js';
export { Retention, type PruneBatch, type PruneResult, type TableSize } from './retention/retention.js';
export {
  Reaction,
  reactionsOf,
  unboundReactionsOf,
  type BoundReaction,
  type ReactionDescriptor,
  type ReactionOptions,
} from './catalog/reaction.js';
export { NoActiveTransactionError, TransactionAbortedError, UnitOfWork, UnitOfWorkMisuseError } from './unit-of-work/unit-of-work.js';

export { eventsWithMissingJobs } from './dispatch/reconcile.js';
export { DomainError } from './domain/domain-error.js';
