import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { deliveryJobId, OutboxStatus, TransactionAbortedError, UnitOfWork, UnitOfWorkMisuseError } from '@herald/events';
// The lib's own parts these tests watch at work (not its public surface).
import { EventDispatcher } from '../../libs/events/src/dispatch/event-dispatcher.js';
import { OutboxMarks } from '../../libs/events/src/outbox/outbox-marks.js';
import { Metrics } from '@herald/observability';
import { createPipelineHarness, RecordingThingHandler, ThingHappened, type PipelineHarness } from '../support/pipeline-harness.js';

const thing = (label = 'ok') => ThingHappened.create(randomUUID(), { label });

async function commitEvents(uow: UnitOfWork, ...events: ThingHappened[]): Promise<void> {
  await uow.run(() => uow.record(events));
}

describe('Event pipeline (real Postgres + Redis)', () => {
  let h: PipelineHarness;
  const published: string[] = [];

  beforeEach(async () => {
    h = await createPipelineHarness();
    published.length = 0;
    h.eventBus.subscribe((event) => published.push((event as ThingHappened).eventId));
  });

  afterEach(async () => {
    await h.close();
  });

  const outboxRow = async (id: string) =>
    (await h.db.query<{ status: string; dispatched_at: Date | null }>('SELECT status, dispatched_at FROM outbox WHERE id = $1', [id]))[0];
  const jobIdFor = (event: ThingHappened) => deliveryJobId('test-ship-on-thing', event.eventId);

  describe('UnitOfWork', () => {
    it('stores, publishes and enqueues nothing for a rolled-back transaction', async () => {
      const event = thing();
      await expect(
        h.uow.run(async () => {
          await h.uow.record([event]);
          throw new Error('business rule failed');
        }),
      ).rejects.toThrow('business rule failed');
      await h.postCommit.drain();

      expect(await outboxRow(event.eventId)).toBeUndefined();
      expect(await h.thingQueue.getJob(jobIdFor(event))).toBeUndefined();
      expect(published).not.toContain(event.eventId);
    });

    it('enqueues a committed event once per reaction and marks its row dispatched', async () => {
      const event = thing();
      await commitEvents(h.uow, event);
      await h.postCommit.drain();

      expect(await outboxRow(event.eventId)).toMatchObject({ status: OutboxStatus.Dispatched });
      const jobs = await h.thingQueue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
      expect(jobs.map((job) => job.id).sort()).toEqual([jobIdFor(event), deliveryJobId('test-audit-on-thing', event.eventId)].sort());
      expect(published).toEqual([event.eventId]);
    });

    it('dispatches every event of many concurrent transactions once, in fewer dispatches than commits', async () => {
      const dispatcher = h.module.get(EventDispatcher);
      const dispatchSizes: number[] = [];
      const dispatchInStages = dispatcher.dispatchInStages.bind(dispatcher);
      dispatcher.dispatchInStages = (events, options) => {
        dispatchSizes.push(events.length);
        return dispatchInStages(events, options);
      };
      const events = Array.from({ length: 60 }, () => thing());
      const before = Date.now();
      await Promise.all(events.map((event) => commitEvents(h.uow, event)));
      const committed = Date.now();
      await h.postCommit.drain();

      expect(dispatchSizes.reduce((a, b) => a + b, 0)).toBe(60);
      expect(dispatchSizes.length).toBeLessThan(60);
      const rows = await h.db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE status = $1`, [OutboxStatus.Dispatched]);
      expect(Number(rows[0]!.n)).toBe(60);
      const jobs = await h.thingQueue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
      expect(new Set(jobs.map((job) => job.id))).toEqual(
        new Set(events.flatMap((event) => [jobIdFor(event), deliveryJobId('test-audit-on-thing', event.eventId)])),
      );
      expect(published.sort()).toEqual(events.map((event) => event.eventId).sort());
      // Each job's timestamp is its transaction's commit time: commit-to-start latency counts from there.
      for (const job of jobs) {
        expect(job.timestamp).toBeGreaterThanOrEqual(before);
        expect(job.timestamp).toBeLessThanOrEqual(committed);
      }
      const metrics = (await h.module.get(Metrics).render()).body;
      expect(metrics).toContain('herald_outbox_commit_to_enqueue_seconds_count{source="post-commit"} 60');
    });

    it('adds no second job when the same committed event is dispatched again', async () => {
      const event = thing();
      await commitEvents(h.uow, event);
      await h.postCommit.drain();
      const dispatcher = h.module.get(EventDispatcher);
      await dispatcher.dispatch([event], { source: 'relay' });
      await dispatcher.dispatch([event], { source: 'relay' });

      const counts = await h.thingQueue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(2);
    });

    it('publishes nothing when a savepoint is released, only after the outermost commit', async () => {
      const inner = thing('inner');
      let publishedAtRelease: string[] = [];
      await h.uow.run(async () => {
        await h.uow.run(() => h.uow.record([inner]));
        // The savepoint is released here; the transaction is still open.
        await h.postCommit.drain();
        publishedAtRelease = [...published];
        expect(await h.thingQueue.getJob(jobIdFor(inner))).toBeUndefined();
      });
      await h.postCommit.drain();

      expect(publishedAtRelease).toEqual([]);
      expect(published).toEqual([inner.eventId]);
      expect(await h.thingQueue.getJob(jobIdFor(inner))).toBeDefined();
    });

    it('forgets events of a savepoint that rolled back and keeps the rest of the transaction', async () => {
      const kept = thing('kept');
      const discarded = thing('discarded');
      await h.uow.run(async () => {
        await h.uow.record([kept]);
        await h.uow
          .run(async () => {
            await h.uow.record([discarded]);
            throw new Error('inner step failed');
          })
          .catch(() => undefined);
      });
      await h.postCommit.drain();

      expect(await outboxRow(kept.eventId)).toMatchObject({ status: OutboxStatus.Dispatched });
      expect(await outboxRow(discarded.eventId)).toBeUndefined();
      expect(published).toEqual([kept.eventId]);
      expect(await h.thingQueue.getJob(jobIdFor(discarded))).toBeUndefined();
    });

    it('refuses to report a transaction Postgres rolled back as committed, and dispatches none of its events', async () => {
      const event = thing();
      await expect(
        h.uow.run(async () => {
          await h.uow.record([event]);
          // A swallowed database error aborts the transaction: Postgres answers the COMMIT with ROLLBACK.
          await h.uow.manager.query('SELECT 1/0').catch(() => undefined);
        }),
      ).rejects.toThrow(TransactionAbortedError);
      await h.postCommit.drain();

      expect(await outboxRow(event.eventId)).toBeUndefined();
      expect(await h.thingQueue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).toEqual([]);
      expect(published).not.toContain(event.eventId);
    });

    it('rolls back only the savepoint of a nested run that swallowed a database error, and commits the rest', async () => {
      const kept = thing('kept');
      const lost = thing('lost');
      await h.uow.run(async () => {
        await h.uow.record([kept]);
        await expect(
          h.uow.run(async () => {
            await h.uow.record([lost]);
            await h.uow.manager.query('SELECT 1/0').catch(() => undefined);
          }),
        ).rejects.toThrow(TransactionAbortedError);
      });
      await h.postCommit.drain();

      expect(await outboxRow(kept.eventId)).toMatchObject({ status: OutboxStatus.Dispatched });
      expect(await outboxRow(lost.eventId)).toBeUndefined();
      expect(published).toEqual([kept.eventId]);
    });

    it('runs nested runs started together one after another, so a failing sibling never undoes one that succeeded', async () => {
      const first = thing('first');
      const second = thing('second');
      let outcomes: PromiseSettledResult<unknown>[] = [];
      await h.uow.run(async () => {
        const firstRun = h.uow.run(() => h.uow.record([first]));
        outcomes = await Promise.allSettled([
          firstRun,
          h.uow.run(async () => {
            await firstRun; // still working when its sibling is done
            await h.uow.record([second]);
            throw new Error('second step failed');
          }),
        ]);
      });
      await h.postCommit.drain();

      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
      expect(await outboxRow(first.eventId)).toMatchObject({ status: OutboxStatus.Dispatched });
      expect(await outboxRow(second.eventId)).toBeUndefined();
      expect(published).toEqual([first.eventId]);
    });

    it('refuses work at the outer level while a nested run of the same transaction is still running', async () => {
      const outer = thing('outer');
      await expect(
        h.uow.run(async () => {
          let finish!: () => void;
          const told = new Promise<void>((resolve) => (finish = resolve));
          const nested = h.uow.run(() => told); // running until told
          try {
            await h.uow.record([outer]);
          } finally {
            finish();
            await nested;
          }
        }),
      ).rejects.toThrow(UnitOfWorkMisuseError);
      expect(await outboxRow(outer.eventId)).toBeUndefined();
    });

    it('refuses work that outlives its transaction instead of running it outside', async () => {
      let late: Promise<void> | undefined;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      await h.uow.run(async () => {
        late = released.then(() => h.uow.record([thing('late')])); // started, not awaited
      });
      release();
      await expect(late).rejects.toThrow(/after its transaction ended/);
    });

    it('lets a throwing event handler affect neither the caller nor the other handlers', async () => {
      const before = RecordingThingHandler.seen.length;
      const event = thing();
      await expect(commitEvents(h.uow, event)).resolves.toBeUndefined();
      await h.postCommit.drain();
      await new Promise((resolve) => setImmediate(resolve));

      expect(RecordingThingHandler.seen.slice(before)).toEqual([event.eventId]);
      expect(await outboxRow(event.eventId)).toMatchObject({ status: OutboxStatus.Dispatched });
    });

    it("keeps the row pending, and the other reactions' jobs enqueued, when one reaction throws", async () => {
      const event = thing('poison-reaction');
      await commitEvents(h.uow, event);
      await h.postCommit.drain();

      expect(await outboxRow(event.eventId)).toMatchObject({ status: OutboxStatus.Pending });
      expect(await h.thingQueue.getJob(jobIdFor(event))).toBeUndefined();
      expect(published).toEqual([]);
    });
  });
});

describe('Post-commit dispatch while Redis is unreachable', () => {
  it('commits the data, never fails the caller, and leaves the row pending for the relay', async () => {
    const h = await createPipelineHarness({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const event = thing();
      await expect(commitEvents(h.uow, event)).resolves.toBeUndefined();
      await h.postCommit.drain();
      const rows = await h.db.query<{ status: string }>('SELECT status FROM outbox WHERE id = $1', [event.eventId]);
      expect(rows).toEqual([{ status: OutboxStatus.Pending }]);
    } finally {
      await h.close();
    }
  });
});

describe('Session limits of the app connections (DATABASE_LOCK_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS)', () => {
  let h: PipelineHarness;

  beforeAll(async () => {
    h = await createPipelineHarness({ env: { DATABASE_LOCK_TIMEOUT_MS: '300', DATABASE_STATEMENT_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('gives up waiting for a row lock held elsewhere after the lock timeout', async () => {
    const id = randomUUID();
    await h.db.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [id, `${id}@example.com`]);
    const holder = new pg.Client({ connectionString: h.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [id]);
      const started = performance.now();
      const error = await h.uow
        .run(() => h.uow.manager.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [id]))
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: '55P03' });
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('cancels a statement that runs longer than the statement timeout', async () => {
    await expect(h.uow.run(() => h.uow.manager.query('SELECT pg_sleep(3)'))).rejects.toMatchObject({ code: '57014' });
  });
});

/**
 * The rule for in-process handlers (@EventsHandler), clause by clause (README "Adding a reaction"): after commit
 * only; once per dispatch, in the process that dispatched; again when the relay redelivers; and not at all if the
 * process dies between marking the event dispatched and publishing it.
 */
describe('In-process handlers (the rule)', () => {
  let committer: PipelineHarness;
  let relayer: PipelineHarness;
  const seenBy = { committer: [] as string[], relayer: [] as string[] };

  beforeEach(async () => {
    committer = await createPipelineHarness({ skipPostCommitDispatch: true });
    relayer = await createPipelineHarness({ db: committer.db, prefix: committer.prefix });
    seenBy.committer = [];
    seenBy.relayer = [];
    committer.eventBus.subscribe((event) => seenBy.committer.push((event as ThingHappened).eventId));
    relayer.eventBus.subscribe((event) => seenBy.relayer.push((event as ThingHappened).eventId));
  });

  afterEach(async () => {
    await relayer.close();
    await committer.close();
  });

  it('run in the process that dispatched: here the relay of another process, not the one that committed', async () => {
    const event = thing();
    await committer.uow.run(() => committer.uow.record([event]));
    await relayer.relay.runOnce();

    expect(seenBy).toEqual({ committer: [], relayer: [event.eventId] });
  });

  it('run again when the relay redelivers an event that was dispatched already', async () => {
    const event = thing();
    await relayer.uow.run(() => relayer.uow.record([event]));
    await relayer.postCommit.drain();
    expect(seenBy.relayer).toEqual([event.eventId]);

    // The row goes back to pending (an operator's requeue, or a dispatch whose mark was lost): delivered again.
    await committer.db.query(`UPDATE outbox SET status = 'pending', available_at = now() - interval '1 second' WHERE id = $1`, [
      event.eventId,
    ]);
    await relayer.relay.runOnce();
    expect(seenBy.relayer).toEqual([event.eventId, event.eventId]);
  });

  it('see the event only once its row is marked dispatched, so a process dying before it publishes never publishes it', async () => {
    const order: string[] = [];
    const marks = relayer.module.get(OutboxMarks);
    const markDispatched = marks.markDispatched.bind(marks);
    marks.markDispatched = async (ids) => {
      const marked = await markDispatched(ids);
      order.push('marked dispatched');
      return marked;
    };
    relayer.eventBus.subscribe(() => order.push('published'));
    await relayer.uow.run(() => relayer.uow.record([thing()]));
    await relayer.postCommit.drain();

    expect(order).toEqual(['marked dispatched', 'published']); // after the mark, the relay never delivers it again
  });
});
