import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { EventBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { DatabaseModule } from '@herald/database';
import { BoundedContext, DomainEvent, EventsModule, OutboxRelay, PostCommitDispatch, Reaction, UnitOfWork } from '@herald/events';
import { defineJob, defineQueue, JobProducer, JobsModule } from '@herald/jobs';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { deleteKeysWithPrefix, redisClient, uniqueQueuePrefix } from './test-redis.js';
import { testConfig } from './test-config.js';

/** A test-only event with two reactions, so pipeline tests need no business context. */
export class ThingHappened extends DomainEvent<{ label: string }> {
  static readonly eventType = 'test.ThingHappened';
  static readonly schemaVersion = 1;
}

export const ThingQueue = defineQueue({ name: 'test-things' });
export const ShipThing = defineJob({ name: 'ship-thing', queue: ThingQueue, data: { thingId: z.uuid() } });
export const AuditThing = defineJob({ name: 'audit-thing', queue: ThingQueue, data: { thingId: z.uuid(), label: z.string() } });

/** The reactions of the test context; the second throws for labels starting with "poison". */
@Injectable()
export class ThingReactions {
  @Reaction(ThingHappened, { name: 'test-ship-on-thing', job: ShipThing })
  ship(event: ThingHappened) {
    return { thingId: event.aggregateId };
  }

  @Reaction(ThingHappened, { name: 'test-audit-on-thing', job: AuditThing })
  audit(event: ThingHappened) {
    if (event.payload.label.startsWith('poison')) throw new Error(`reaction refuses ${event.payload.label}`);
    return { thingId: event.aggregateId, label: event.payload.label };
  }
}

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

/** A bounded context of the tests' own: one event, two reactions, two in-process handlers. */
@BoundedContext({ name: 'test-things', events: [ThingHappened] })
@Module({ providers: [ThingReactions, RecordingThingHandler, ThrowingThingHandler] })
export class ThingsContextModule {}

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
  readonly thingQueue: Queue;
  close(): Promise<void>;
}

export interface HarnessOptions {
  db?: TestDatabase;
  prefix?: string;
  env?: Record<string, string>;
  /** Leave every committed event to the relay, as a process that died right after its commits would. */
  skipPostCommitDispatch?: boolean;
}

/** A post-commit dispatch that dispatches nothing (the rows stay pending for the relay). */
class NoPostCommitDispatch extends PostCommitDispatch {
  override afterCommit(): void {}
}

/** The event platform wired to a database and a queue prefix of the test's own, with the test context. */
export async function createPipelineHarness(options: HarnessOptions = {}): Promise<PipelineHarness> {
  const ownsDb = !options.db;
  const db = options.db ?? (await createTestDatabase());
  const prefix = options.prefix ?? uniqueQueuePrefix();
  const config = testConfig(db.url, prefix, { OUTBOX_GRACE_MS: '0', ...options.env });
  const builder = Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot('herald-test'),
      EventsModule.forRoot({ relay: true }),
      JobsModule.forRoot({ runtime: false }),
      ThingsContextModule,
    ],
  });
  if (options.skipPostCommitDispatch) builder.overrideProvider(PostCommitDispatch).useClass(NoPostCommitDispatch);
  const module = await builder.compile();
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
    thingQueue: producer.queue(ThingQueue.name),
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
