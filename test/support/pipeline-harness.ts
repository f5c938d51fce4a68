import { Test, type TestingModule } from '@nestjs/testing';
import { EventBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { DatabaseModule } from '@herald/database';
import {
  DomainEvent,
  EventsModule,
  OutboxRelay,
  PostCommitDispatch,
  UnitOfWork,
  type EventCatalogEntry,
  type JobSaga,
} from '@herald/events';
import { JobName, JobProducer, QueueName, type AnyJob } from '@herald/jobs';
import { usersEventCatalog } from '@herald/users';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { deleteKeysWithPrefix, redisClient, uniqueQueuePrefix } from './test-redis.js';
import { testConfig } from './test-config.js';

/** A test-only event with a saga, so pipeline tests need no user logic. */
export class ThingHappened extends DomainEvent<{ label: string }> {
  static readonly eventType = 'test.ThingHappened';
  static readonly schemaVersion = 1;
}

export class WelcomeOnThing implements JobSaga<ThingHappened> {
  readonly name = 'test-welcome-on-thing';
  readonly reactsTo = ThingHappened;
  toJob(event: ThingHappened): AnyJob {
    return {
      name: JobName.SendWelcomeEmail,
      data: { eventId: event.eventId, userId: event.aggregateId, correlationId: event.correlationId },
    };
  }
}

/** A second saga on the same event that throws for labels starting with "poison". */
export class FragileSagaOnThing implements JobSaga<ThingHappened> {
  readonly name = 'test-fragile-on-thing';
  readonly reactsTo = ThingHappened;
  toJob(event: ThingHappened): AnyJob {
    if (event.payload.label.startsWith('poison')) throw new Error(`saga refuses ${event.payload.label}`);
    return {
      name: JobName.SendAccountExistsNotice,
      data: { eventId: event.eventId, userId: event.aggregateId, correlationId: event.correlationId },
    };
  }
}

export const testCatalog: EventCatalogEntry = { events: [ThingHappened], sagas: [new WelcomeOnThing(), new FragileSagaOnThing()] };

/** Records every event the in-process EventBus delivers to a handler. */
@EventsHandler(ThingHappened)
export class RecordingThingHandler implements IEventHandler<ThingHappened> {
  static readonly seen: string[] = [];
  handle(event: ThingHappened): void {
    RecordingThingHandler.seen.push(event.eventId);
  }
}

/** Throws for every event: must not disturb the caller or other handlers. */
@EventsHandler(ThingHappened)
export class ThrowingThingHandler implements IEventHandler<ThingHappened> {
  handle(): void {
    throw new Error('handler failure on purpose');
  }
}

export interface PipelineHarness {
  readonly module: TestingModule;
  readonly config: HeraldConfig;
  readonly db: TestDatabase;
  readonly prefix: string;
  readonly uow: UnitOfWork;
  readonly relay: OutboxRelay;
  readonly postCommit: PostCommitDispatch;
  readonly producer: JobProducer;
  readonly eventBus: EventBus;
  readonly emailQueue: Queue;
  close(): Promise<void>;
}

export interface HarnessOptions {
  db?: TestDatabase;
  prefix?: string;
  env?: Record<string, string>;
}

/** The events module wired to a database and a queue prefix of the test's own. */
export async function createPipelineHarness(options: HarnessOptions = {}): Promise<PipelineHarness> {
  const ownsDb = !options.db;
  const db = options.db ?? (await createTestDatabase());
  const prefix = options.prefix ?? uniqueQueuePrefix();
  const config = testConfig(db.url, prefix, { OUTBOX_GRACE_MS: '0', ...options.env });
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot('herald-test'),
      EventsModule.forRoot({ catalog: [usersEventCatalog, testCatalog], relay: true }),
    ],
    providers: [RecordingThingHandler, ThrowingThingHandler],
  }).compile();
  const app = module.createNestApplication({ logger: false });
  await app.init();
  const producer = app.get(JobProducer);
  return {
    module,
    config,
    db,
    prefix,
    uow: app.get(UnitOfWork),
    relay: app.get(OutboxRelay),
    postCommit: app.get(PostCommitDispatch),
    producer,
    eventBus: app.get(EventBus),
    emailQueue: producer.queue(QueueName.Email),
    async close() {
      await app.close();
      if (ownsDb) await db.drop();
      if (!options.prefix) await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    },
  };
}

export async function withRedis<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = redisClient();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}
