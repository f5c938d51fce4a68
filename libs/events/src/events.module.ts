import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OwnsTables } from '@herald/database';
import { MetricsModule } from '@herald/observability';
import { EventCatalogExplorer } from './catalog/event-catalog-explorer.js';
import { EventDispatcher } from './dispatch/event-dispatcher.js';
import { OutboxRelay, RELAY_ENABLED } from './dispatch/outbox-relay.js';
import { PostCommitDispatch } from './dispatch/post-commit-dispatch.js';
import { Inbox } from './inbox/inbox.js';
import { InboxRecord } from './inbox/inbox-record.entity.js';
import { eventMigrations } from './migrations/index.js';
import { OutboxMarks } from './outbox/outbox-marks.js';
import { OutboxMetrics } from './outbox/outbox-metrics.js';
import { OutboxQueries } from './outbox/outbox-queries.js';
import { OutboxRecord } from './outbox/outbox-record.entity.js';
import { OutboxRepairs } from './outbox/outbox-repairs.js';
import { RelayClaims } from './outbox/relay-claims.js';
import { OutboxReplayRecord } from './replay/outbox-replay-record.entity.js';
import { EventRetention } from './retention/event-retention.js';
import { Retention } from './retention/retention.js';
import { UnitOfWork } from './unit-of-work/unit-of-work.js';

/**
 * The tables of the event platform as entities: the migrations make them, and
 * the schema test compares. Loading this file loads all three, which is how
 * the ops CLI's migration:generate finds them (it reads every loaded @Entity).
 */
export const EVENT_ENTITIES = [OutboxRecord, InboxRecord, OutboxReplayRecord] as const;

interface EventsModuleOptions {
  /** Run the outbox relay in this process (the worker does; the API does not). */
  readonly relay: boolean;
}

/**
 * The event platform: unit of work, outbox, post-commit dispatch, relay,
 * inbox, and the retention of kept rows. It knows no context: event types and reactions are found at boot
 * (@BoundedContext, @Reaction), and jobs go to the JobSink another module
 * provides (JobsModule).
 */
@OwnsTables(eventMigrations)
@Module({})
export class EventsModule {
  static forRoot(options: EventsModuleOptions): DynamicModule {
    return {
      module: EventsModule,
      global: true,
      imports: [MetricsModule, DiscoveryModule, CqrsModule.forRoot(), TypeOrmModule.forFeature([OutboxRecord, InboxRecord])],
      providers: [
        { provide: RELAY_ENABLED, useValue: options.relay },
        EventCatalogExplorer,
        OutboxMarks,
        RelayClaims,
        OutboxQueries,
        OutboxRepairs,
        EventDispatcher,
        PostCommitDispatch,
        UnitOfWork,
        OutboxRelay,
        Inbox,
        OutboxMetrics,
        Retention,
        EventRetention,
      ],
      exports: [
        UnitOfWork,
        Inbox,
        OutboxRelay,
        OutboxQueries,
        OutboxRepairs,
        PostCommitDispatch,
        EventCatalogExplorer,
        CqrsModule,
        Retention,
        EventRetention,
      ],
    };
  }
}
