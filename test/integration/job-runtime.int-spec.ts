import { randomUUID } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigModule } from '@herald/config';
import { DatabaseModule } from '@herald/database';
import { EventsModule, PostCommitDispatch, UnitOfWork } from '@herald/events';
import { JobHandler, JobHandlerRegistryError, JobsModule, type JobContext, type JobData } from '@herald/jobs';
import { ShipThing, AuditThing, ThingHappened, ThingsContextModule, withRedis } from '../support/pipeline-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';
import { testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

/** What the test context's handlers were given. */
const handled: { job: string; data: unknown; consumer: string; eventId: string }[] = [];

@Injectable()
class ThingHandlers {
  @JobHandler(ShipThing)
  async ship(data: JobData<typeof ShipThing>, context: JobContext) {
    handled.push({ job: 'ship', data, ...context.delivery.key });
  }

  @JobHandler(AuditThing)
  async audit(data: JobData<typeof AuditThing>, context: JobContext) {
    handled.push({ job: 'audit', data, ...context.delivery.key });
  }
}

@Module({ providers: [ThingHandlers] })
class ThingHandlersModule {}

/** A provider's refusal as MailDeliveryError carries it: what the runtime reads is `kind` and `retryAfterMs`. */
const providerRefusal = (kind: string, retryAfterMs: number) => Object.assign(new Error(`provider said ${kind}`), { kind, retryAfterMs });

/** Each handler refuses its first run the way a mail provider may: throttled (429) for ship, failing (503) for audit. */
const runs: { job: string; eventId: string; at: number; attempt: number }[] = [];

@Injectable()
class ProviderRefusingHandlers {
  @JobHandler(ShipThing)
  async ship(data: JobData<typeof ShipThing>, context: JobContext) {
    runs.push({ job: 'ship', eventId: data.eventId, at: Date.now(), attempt: context.attempt });
    if (runs.filter((run) => run.job === 'ship' && run.eventId === data.eventId).length === 1) throw providerRefusal('rate-limited', 1500);
  }

  @JobHandler(AuditThing)
  async audit(data: JobData<typeof AuditThing>, context: JobContext) {
    runs.push({ job: 'audit', eventId: data.eventId, at: Date.now(), attempt: context.attempt });
    if (runs.filter((run) => run.job === 'audit' && run.eventId === data.eventId).length === 1)
      throw providerRefusal('provider-error', 1500);
  }
}

@Module({ providers: [ProviderRefusingHandlers] })
class ProviderRefusingHandlersModule {}

describe('Job runtime (real Postgres + Redis)', () => {
  let db: TestDatabase;
  const prefix = uniqueQueuePrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
  });

  const workerModule = (handlers: unknown[]) =>
    Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(testConfig(db.url, prefix, { OUTBOX_GRACE_MS: '0' })),
        DatabaseModule.forRoot('herald-test'),
        EventsModule.forRoot({ relay: false }),
        JobsModule.forRoot({ runtime: true }),
        ThingsContextModule,
        ...(handlers as []),
      ],
    }).compile();

  it('refuses to boot when a job some reaction queues has no handler, naming the job and its queue', async () => {
    const app = (await workerModule([])).createNestApplication({ logger: false });
    const boot = app.init();
    await expect(boot).rejects.toThrow(JobHandlerRegistryError);
    await expect(boot).rejects.toThrow(/job "ship-thing" \(queue "test-things"\) has no handler/);
    await app.close();
  });

  it("runs each reaction's job in its handler, with the reaction's fields and the (reaction, event) delivery key", async () => {
    const app = await (await workerModule([ThingHandlersModule])).createNestApplication({ logger: false }).init();
    try {
      const uow = app.get(UnitOfWork);
      const event = ThingHappened.create(randomUUID(), { label: 'parcel' });
      await uow.run(() => uow.record([event]));
      await app.get(PostCommitDispatch).drain();
      await waitFor('both handlers to run', () => handled.filter((entry) => entry.eventId === event.eventId).length === 2);

      const base = { eventId: event.eventId, correlationId: event.correlationId };
      expect(handled.filter((entry) => entry.eventId === event.eventId).sort((a, b) => a.job.localeCompare(b.job))).toEqual([
        {
          job: 'audit',
          consumer: 'test-audit-on-thing',
          eventId: event.eventId,
          data: { ...base, thingId: event.aggregateId, label: 'parcel' },
        },
        { job: 'ship', consumer: 'test-ship-on-thing', eventId: event.eventId, data: { ...base, thingId: event.aggregateId } },
      ]);
    } finally {
      await app.close();
    }
  });

  it("honours a provider's Retry-After: a throttled job waits that long without using an attempt, a failing one uses one", async () => {
    const app = await (await workerModule([ProviderRefusingHandlersModule])).createNestApplication({ logger: false }).init();
    try {
      const uow = app.get(UnitOfWork);
      const event = ThingHappened.create(randomUUID(), { label: 'throttled' });
      await uow.run(() => uow.record([event]));
      await app.get(PostCommitDispatch).drain();
      const of = (job: string) => runs.filter((run) => run.eventId === event.eventId && run.job === job);
      await waitFor('each job to run twice', () => of('ship').length === 2 && of('audit').length === 2, 30_000);

      // Throttled (429, 409 in flight): no job of the queue runs before Retry-After, and the retry is still attempt 1.
      const [shipFirst, shipAgain] = of('ship');
      expect(shipAgain!.at - shipFirst!.at).toBeGreaterThanOrEqual(1400);
      expect(shipAgain!.attempt).toBe(1);
      // A 5xx with Retry-After: the wait, and the attempt counts.
      const [auditFirst, auditAgain] = of('audit');
      expect(auditAgain!.at - auditFirst!.at).toBeGreaterThanOrEqual(1400);
      expect(auditAgain!.attempt).toBe(2);
    } finally {
      await app.close();
    }
  });
});
