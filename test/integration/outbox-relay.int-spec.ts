import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { deliveryJobId, OutboxStatus, type SinkJob } from '@herald/events';
import { Metrics } from '@herald/observability';
import { createPipelineHarness, ThingHappened, type PipelineHarness } from '../support/pipeline-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';
import { withRedis } from '../support/pipeline-harness.js';

/** Writes outbox rows as a crashed API would leave them: committed, never dispatched. */
async function insertUndispatched(db: TestDatabase, count: number, label = 'ok'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const event = ThingHappened.create(randomUUID(), { label });
    ids.push(event.eventId);
    await db.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, available_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() - interval '1 second')`,
      [event.eventId, ThingHappened.eventType, 1, event.aggregateId, JSON.stringify(event.payload), event.correlationId, event.occurredAt],
    );
  }
  return ids;
}

const statusCounts = async (db: TestDatabase) =>
  Object.fromEntries(
    (await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM outbox GROUP BY status')).map((r) => [
      r.status,
      Number(r.n),
    ]),
  );

describe('OutboxRelay (real Postgres + Redis)', () => {
  let h: PipelineHarness;

  afterEach(async () => {
    await h?.close();
  });

  it('delivers a committed row that was never dispatched, once the grace period is over', async () => {
    h = await createPipelineHarness();
    const [id] = await insertUndispatched(h.db, 1);

    const result = await h.relay.runOnce();

    expect(result).toMatchObject({ claimed: 1, dispatched: 1, failed: 0 });
    const job = await h.thingQueue.getJob(deliveryJobId('test-ship-on-thing', id!));
    const [row] = await h.db.query<{ occurred_at: Date }>('SELECT occurred_at FROM outbox WHERE id = $1', [id]);
    expect(job?.timestamp).toBe(row!.occurred_at.getTime()); // the relay knows no commit time: the event's own
    expect(await statusCounts(h.db)).toEqual({ [OutboxStatus.Dispatched]: 1 });
    const metrics = (await h.module.get(Metrics).render()).body;
    expect(metrics).toContain('herald_outbox_commit_to_enqueue_seconds_count{source="relay"} 1');
    expect(metrics).not.toContain('herald_outbox_commit_to_enqueue_seconds_count{source="post-commit"}');
  });

  it('leaves rows alone while their grace period runs', async () => {
    h = await createPipelineHarness({ env: { OUTBOX_GRACE_MS: '60000' } });
    await h.uow.run(() => h.uow.record([ThingHappened.create(randomUUID(), { label: 'poison-stays-pending' })]));
    await h.postCommit.drain();

    expect(await h.relay.runOnce()).toMatchObject({ claimed: 0 });
  });

  it('retries a failing row with backoff and moves it to dead letters after the last attempt, then goes on', async () => {
    h = await createPipelineHarness({ env: { OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_RELAY_INTERVAL_MS: '1' } });
    const [poison] = await insertUndispatched(h.db, 1, 'poison-row');
    await h.db.query(`UPDATE outbox SET event_type = 'test.NoSuchEvent' WHERE id = $1`, [poison]);

    for (let attempt = 1; attempt <= 3; attempt++) {
      await h.db.query(`UPDATE outbox SET available_at = now() - interval '1 second' WHERE id = $1`, [poison]);
      await h.relay.runOnce();
    }
    const [row] = await h.db.query<{ status: string; attempts: number; last_error: string }>(
      'SELECT status, attempts, last_error FROM outbox WHERE id = $1',
      [poison],
    );
    expect(row).toMatchObject({ status: OutboxStatus.Dead, attempts: 3 });
    expect(row!.last_error).toContain('test.NoSuchEvent');

    const [healthy] = await insertUndispatched(h.db, 1);
    expect(await h.relay.runOnce()).toMatchObject({ claimed: 1, dispatched: 1 });
    expect(await h.thingQueue.getJob(deliveryJobId('test-ship-on-thing', healthy!))).toBeDefined();
  });

  it('never dead-letters a row because Redis is unreachable', async () => {
    h = await createPipelineHarness({ env: { OUTBOX_MAX_ATTEMPTS: '1', REDIS_URL: 'redis://127.0.0.1:1', JOB_ENQUEUE_TIMEOUT_MS: '200' } });
    const [id] = await insertUndispatched(h.db, 1);

    expect(await h.relay.runOnce()).toMatchObject({ claimed: 1, failed: 1, dead: 0 });
    const [row] = await h.db.query<{ status: string }>('SELECT status FROM outbox WHERE id = $1', [id]);
    expect(row).toEqual({ status: OutboxStatus.Pending });
  });
});

describe('Two relays at once', () => {
  const ROWS = 300;
  let db: TestDatabase;
  let prefix: string;
  let relays: PipelineHarness[];

  beforeEach(async () => {
    db = await createTestDatabase();
    prefix = uniqueQueuePrefix();
    const env = { OUTBOX_RELAY_BATCH_SIZE: '25' };
    relays = [await createPipelineHarness({ db, prefix, env }), await createPipelineHarness({ db, prefix, env })];
  });

  afterEach(async () => {
    for (const relay of relays) await relay.close();
    await db.drop();
    await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
  });

  it('dispatch every row exactly once between them, never enqueueing an event twice', async () => {
    await insertUndispatched(db, ROWS);
    const enqueued: string[] = [];
    for (const relay of relays) {
      const original = relay.producer.enqueue.bind(relay.producer);
      jest.spyOn(relay.producer, 'enqueue').mockImplementation(async (jobs: readonly SinkJob[]) => {
        enqueued.push(...jobs.map((job) => job.jobId));
        return original(jobs);
      });
    }

    const drain = async (relay: PipelineHarness) => {
      let total = 0;
      for (;;) {
        const { claimed } = await relay.relay.runOnce();
        if (claimed === 0) return total;
        total += claimed;
      }
    };
    const [first, second] = await Promise.all(relays.map(drain));

    expect(first! + second!).toBe(ROWS);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(0);
    expect(new Set(enqueued).size).toBe(enqueued.length);
    expect(enqueued).toHaveLength(ROWS * 2); // two reactions per event
    expect(await statusCounts(db)).toEqual({ [OutboxStatus.Dispatched]: ROWS });
    const counts = await relays[0]!.thingQueue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(ROWS * 2);
  });
});
