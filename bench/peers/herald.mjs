// Herald in the bench process: the event platform from the built libs (dist/), wired to the bench's
// database and queue prefix, with a bench context of its own (one event, one reaction, one job with a
// no-op handler) — the idea of test/support/pipeline-harness.ts, in plain JS. The same Nest context
// also carries the naive peer (a @nestjs/cqrs event handler that adds the job after commit), so both
// use one data source, one pool and one EventBus: what differs is only the outbox and its dispatch.
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBus, EventsHandler } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ConfigModule, loadConfig } from '../../dist/apps/worker/libs/config/src/index.js';
import { DatabaseModule } from '../../dist/apps/worker/libs/database/src/index.js';
import {
  BoundedContext,
  DomainEvent,
  EventsModule,
  PostCommitDispatch,
  Reaction,
  UnitOfWork,
} from '../../dist/apps/worker/libs/events/src/index.js';
// Internal to @herald/events: only the bench's ablation (marks switched off) reaches for it.
import { OutboxMarks } from '../../dist/apps/worker/libs/events/src/outbox/outbox-marks.js';
import {
  bullConnection,
  defaultJobOptions,
  defineJob,
  defineQueue,
  JobHandler,
  JobProducer,
  JobRuntime,
  JobsModule,
} from '../../dist/apps/worker/libs/jobs/src/index.js';

/** Applies legacy (TypeScript-style) decorators to a class or a method, as the compiled libs expect. */
const decorate = (target, ...decorators) => Reflect.decorate(decorators, target);
const decorateMethod = (target, method, ...decorators) =>
  Reflect.decorate(decorators, target.prototype, method, Object.getOwnPropertyDescriptor(target.prototype, method));

export const INSERT_USER = 'INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)';
/** The outbox row herald writes for the bench's event (outbox-append.ts), for the naive + row ablation. */
const INSERT_OUTBOX_ROW = `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, causation_id, occurred_at, traceparent, available_at)
  VALUES ($1, 'bench.UserRegistered', 1, $2, '{}'::jsonb, $3, NULL, now(), NULL, clock_timestamp() + interval '30 seconds')`;

/** The bench's event: a user-like row was inserted. */
export class BenchUserRegistered extends DomainEvent {
  static eventType = 'bench.UserRegistered';
  static schemaVersion = 1;
}

export const BenchQueue = defineQueue({ name: 'bench-peers' });
export const BenchWelcome = defineJob({ name: 'bench-welcome', queue: BenchQueue, data: { userId: z.uuid() } });
const REACTION = 'bench-welcome-on-registered';

class BenchReactions {
  welcome(event) {
    return { userId: event.aggregateId };
  }
}
decorateMethod(BenchReactions, 'welcome', Reaction(BenchUserRegistered, { name: REACTION, job: BenchWelcome }));
decorate(BenchReactions, Injectable());

/** The no-op consumer: notes when each job started (by event id), then returns. */
export const jobStarts = new Map();
class BenchJobHandlers {
  async welcome(data) {
    jobStarts.set(data.eventId, performance.now());
  }
}
decorateMethod(BenchJobHandlers, 'welcome', JobHandler(BenchWelcome));
decorate(BenchJobHandlers, Injectable());

// ------------------------------------------------------------------ the naive peer
const NAIVE_QUEUE = Symbol('NAIVE_QUEUE');

/** What the naive command publishes after its commit (no outbox row). */
export class NaiveUserRegistered {
  constructor(userId, eventId) {
    this.userId = userId;
    this.eventId = eventId;
  }
}

/** When Redis acknowledged each naive job (by event id); failures are jobs lost for good. */
export const naiveEnqueued = new Map();
export const naiveLost = { count: 0 };

/** The after-commit hook of most NestJS codebases: an event handler that adds the job. */
class EnqueueWelcomeWhenNaiveUserRegistered {
  constructor(queue) {
    this.queue = queue;
  }
  async handle(event) {
    try {
      await this.queue.add(
        BenchWelcome.name,
        { userId: event.userId, eventId: event.eventId, correlationId: event.eventId },
        { jobId: `${REACTION}.${event.eventId}` },
      );
      naiveEnqueued.set(event.eventId, performance.now());
    } catch {
      naiveLost.count++;
    }
  }
}
decorate(EnqueueWelcomeWhenNaiveUserRegistered, EventsHandler(NaiveUserRegistered), Injectable());
Inject(NAIVE_QUEUE)(EnqueueWelcomeWhenNaiveUserRegistered, undefined, 0);

/**
 * The event platform with the bench context. `consume`: also the worker's side (job runtime with the
 * no-op handler, and the outbox relay), as in the worker app; without it, the API's side only.
 */
export async function startHerald({ databaseUrl, redisUrl, queuePrefix, consume }) {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    DATABASE_POOL_SIZE: '30',
    // BENCH_WORKER_CONCURRENCY: for the experiment on BullMQ's main loop (latency-probe.mjs); 20 as `npm run bench`.
    WORKER_CONCURRENCY: process.env.BENCH_WORKER_CONCURRENCY ?? '20',
    OUTBOX_RELAY_ENABLED: String(consume),
    // The retention schedule's ticks must not fall into a measurement.
    RETENTION_INTERVAL_MS: String(7 * 24 * 3_600_000),
    // BENCH_HERALD_ENV (JSON): settings for experiments, e.g. {"OUTBOX_DISPATCH_CONCURRENCY":"16"}.
    ...JSON.parse(process.env.BENCH_HERALD_ENV ?? '{}'),
  });
  const naiveQueue = new Queue('bench-naive', {
    connection: bullConnection(config.redis),
    prefix: queuePrefix,
    defaultJobOptions: defaultJobOptions(config),
  });

  class BenchContextModule {}
  decorate(
    BenchContextModule,
    BoundedContext({ name: 'bench', events: [BenchUserRegistered] }),
    Module({
      providers: [
        BenchReactions,
        ...(consume ? [BenchJobHandlers] : []),
        { provide: NAIVE_QUEUE, useValue: naiveQueue },
        EnqueueWelcomeWhenNaiveUserRegistered,
      ],
    }),
  );
  class BenchRootModule {}
  decorate(
    BenchRootModule,
    Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot('herald-bench-peers'),
        EventsModule.forRoot({ relay: consume }),
        JobsModule.forRoot({ runtime: consume }),
        BenchContextModule,
      ],
    }),
  );
  const app = await NestFactory.createApplicationContext(BenchRootModule, { logger: ['error', 'warn'], abortOnError: false });
  await app.init();

  const uow = app.get(UnitOfWork);
  const dataSource = app.get(getDataSourceToken());
  const eventBus = app.get(EventBus);
  const producer = app.get(JobProducer);
  const postCommit = app.get(PostCommitDispatch);
  // Ablation: herald with the rows' marks switched off (each row stays pending; the relay is off here).
  const outboxMarks = app.get(OutboxMarks, { strict: false });
  const markDispatched = outboxMarks.markDispatched.bind(outboxMarks);
  const marksOff = async () => {};
  // The bench queue's BullMQ worker (consume only), for the latency probe: its main loop's queue of
  // fetches and runs (private to BullMQ and to JobRuntime: null when either changes).
  const benchWorker = consume ? app.get(JobRuntime).workers?.find((worker) => worker.name === BenchQueue.name) : undefined;

  // When the dispatch handed each of herald's jobs to Redis, and when Redis acknowledged them (by event
  // id). The dispatcher calls the producer (the JobSink) through this instance, so noting the times here
  // costs two Map writes per job.
  const enqueueCalled = new Map();
  const enqueued = new Map();
  const enqueue = producer.enqueue.bind(producer);
  producer.enqueue = async (jobs) => {
    const called = performance.now();
    for (const job of jobs) if (!enqueueCalled.has(job.data.eventId)) enqueueCalled.set(job.data.eventId, called);
    await enqueue(jobs);
    const now = performance.now();
    for (const job of jobs) enqueued.set(job.data.eventId, now);
  };

  return {
    config,
    dataSource,
    queue: producer.queue(BenchQueue.name),
    naiveQueue,
    enqueued,
    enqueueCalled,
    /**
     * The post-commit dispatch's state for the latency probe: events waiting for a lane, and dispatches
     * marking their rows (a private field today; null if the dispatch no longer has it).
     */
    postCommitState: () => ({
      backlog: postCommit.backlog ?? null,
      marksInFlight: postCommit.marking?.size ?? null,
      // Jobs fetched (or run) and resolved, waiting for BullMQ's main loop to take them: its inner loop goes on
      // fetching, one moveToActive at a time, before the outer loop starts what it fetched.
      workerReady: benchWorker?.mainLoopQueue?.numQueued?.() ?? null,
      workerFetchingOrRunning: benchWorker?.mainLoopQueue?.numPending?.() ?? null,
    }),
    /** Herald's command: the row and its event in one unit of work; resolves after the commit, with the commit time. */
    async register(email) {
      const event = BenchUserRegistered.create(uuidv7(), {});
      await uow.run(async () => {
        await uow.manager.query(INSERT_USER, [event.aggregateId, email, 'x']);
        await uow.record([event]);
      });
      return { eventId: event.eventId, committedAt: performance.now() };
    },
    /**
     * Ablation: herald's dispatch with no mark UPDATE (what the marks cost), for a whole window: the marks
     * are grouped and sent later, so they are switched per window, not per command.
     */
    switchMarks(on) {
      outboxMarks.markDispatched = on ? markDispatched : marksOff;
    },
    /**
     * Ablation: the naive command plus the outbox row herald would write, in its transaction (three
     * statements, four round trips), the job still added after commit: what writing any outbox row costs.
     */
    async registerNaiveWithRow(email) {
      const userId = uuidv7();
      const eventId = uuidv7();
      await dataSource.transaction(async (manager) => {
        await manager.query(INSERT_USER, [userId, email, 'x']);
        await manager.query(INSERT_OUTBOX_ROW, [eventId, userId, eventId]);
      });
      const committedAt = performance.now();
      eventBus.publish(new NaiveUserRegistered(userId, eventId));
      return { eventId, committedAt };
    },
    /** The naive command: the row in a transaction, then the event on the EventBus (its handler adds the job); with the commit time. */
    async registerNaive(email) {
      const userId = uuidv7();
      const eventId = uuidv7();
      await dataSource.transaction(async (manager) => {
        await manager.query(INSERT_USER, [userId, email, 'x']);
      });
      const committedAt = performance.now();
      eventBus.publish(new NaiveUserRegistered(userId, eventId));
      return { eventId, committedAt };
    },
    /**
     * When BullMQ moved each event's job to active (its processedOn, ms since the epoch, on the
     * performance.now() clock; 1 ms resolution), by event id; absent for jobs gone already.
     */
    async movedToActive(eventIds) {
      const queue = producer.queue(BenchQueue.name);
      const moments = new Map();
      for (let i = 0; i < eventIds.length; i += 200) {
        const jobs = await Promise.all(eventIds.slice(i, i + 200).map((id) => queue.getJob(`${REACTION}.${id}`)));
        for (const job of jobs) if (job?.processedOn) moments.set(job.data.eventId, job.processedOn - performance.timeOrigin);
      }
      return moments;
    },
    /** Resolves when every committed event handed to the post-commit dispatch has been dispatched. */
    drain: () => postCommit.drain(),
    async close() {
      await app.close();
      await naiveQueue.close();
    },
  };
}
