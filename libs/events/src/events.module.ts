import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsModule } from '@herald/jobs';
import { MetricsModule } from '@herald/observability';
import { EventCatalog } from './event-catalog.js';
import { EventDispatcher } from './event-dispatcher.js';
import { Inbox } from './inbox.js';
import { InboxRecord } from './inbox-record.entity.js';
import type { EventCatalogEntry } from './job-saga.js';
import { OutboxMetrics } from './outbox-metrics.js';
import { OutboxRecord } from './outbox-record.entity.js';
import { OutboxRelay, RELAY_ENABLED } from './outbox-relay.js';
import { OutboxStore } from './outbox-store.js';
import { PostCommitDispatch } from './post-commit-dispatch.js';
import { UnitOfWork } from './unit-of-work.js';

export interface EventsModuleOptions {
  /** Event types and sagas of each bounded context. */
  readonly catalog: readonly EventCatalogEntry[];
  /** Run the outbox relay in this process (the worker does; the API does not). */
  readonly relay: boolean;
}

@Module({})
export class EventsModule {
  static forRoot(options: EventsModuleOptions): DynamicModule {
    return {
      module: EventsModule,
      global: true,
      imports: [MetricsModule, CqrsModule.forRoot(), JobsModule, TypeOrmModule.forFeature([OutboxRecord, InboxRecord])],
      providers: [
        { provide: EventCatalog, useValue: new EventCatalog(options.catalog) },
        { provide: RELAY_ENABLED, useValue: options.relay },
        OutboxStore,
        EventDispatcher,
        PostCommitDispatch,
        UnitOfWork,
        OutboxRelay,
        Inbox,
        OutboxMetrics,
      ],
      exports: [UnitOfWork, Inbox, OutboxRelay, OutboxStore, EventDispatcher, PostCommitDispatch, EventCatalog, JobsModule],
    };
  }
}
