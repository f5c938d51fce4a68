import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import type { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import type { EventCatalogExplorer } from '../catalog/event-catalog-explorer.js';
import { EventCatalog } from '../catalog/event-catalog.js';
import type { BoundReaction } from '../catalog/reaction.js';
import type { JobSink, SinkJob } from '../delivery/job-sink.js';
import { DomainEvent } from '../domain/domain-event.js';
import type { OutboxMarks } from '../outbox/outbox-marks.js';
import { EventDispatcher } from './event-dispatcher.js';

class ThingCreated extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'test.ThingCreated';
  static readonly schemaVersion = 1;
}

const ship: BoundReaction = {
  name: 'ship',
  event: ThingCreated,
  job: { name: 'ship-job', queue: { name: 'things' } },
  mintsCredentials: false,
  declaredAt: 'Test.ship',
  toJobInput: () => ({}),
};
const catalog = { catalog: new EventCatalog([{ name: 'things', events: [ThingCreated] }], [ship]) } as unknown as EventCatalogExplorer;
const things = (n: number) => Array.from({ length: n }, () => ThingCreated.create('aggregate', {}));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** Marks are at least MARK_INTERVAL_MS apart: waits turn by turn until the next UPDATE was sent. */
const until = async (condition: () => boolean) => {
  while (!condition()) await nextTurn();
};

/** A dispatcher over a sink that acknowledges at once and marks that finish only when the test says so. */
function setUp(markBacklogLimit = 10_000) {
  const enqueued: SinkJob[][] = [];
  const sink: JobSink = { enqueue: async (jobs) => void enqueued.push([...jobs]), exists: async () => false };
  const updates: { ids: readonly string[]; finish: (error?: Error) => void }[] = [];
  const marks = {
    markDispatched: (ids: readonly string[]) =>
      new Promise<void>((resolve, reject) => updates.push({ ids, finish: (error) => (error ? reject(error) : resolve()) })),
  } as OutboxMarks;
  const published: string[] = [];
  const eventBus = {
    publishAll: (events: DomainEvent[]) => published.push(...events.map((event) => event.eventId)),
  } as unknown as EventBus;
  const metrics = new Metrics();
  const config = { outbox: { markBacklogLimit } } as HeraldConfig;
  const dispatcher = new EventDispatcher(catalog, sink, marks, eventBus, metrics, config);
  const lostMarks = async (reason: string) =>
    Number(new RegExp(`herald_outbox_marks_lost_total\\{reason="${reason}"\\} (\\d+)`).exec((await metrics.render()).body)?.[1] ?? 0);
  return { dispatcher, enqueued, updates, published, lostMarks };
}

describe(EventDispatcher.name, () => {
  beforeAll(() => Logger.overrideLogger(false)); // lost marks are logged on purpose

  it("reports the jobs enqueued while the rows' UPDATE is still under way, and publishes only once it committed", async () => {
    const { dispatcher, enqueued, updates, published } = setUp();
    const events = things(2);
    let done = false;
    const staged = dispatcher.dispatchInStages(events, { source: 'post-commit' });
    void staged.done.then(() => (done = true));

    await staged.enqueued;
    await nextTurn();
    expect(enqueued.flat().map((job) => job.jobId)).toEqual(events.map((event) => `ship.${event.eventId}`));
    expect(updates.map((update) => update.ids)).toEqual([events.map((event) => event.eventId)]);
    expect(done).toBe(false);
    expect(published).toEqual([]);

    updates[0]!.finish();
    expect(await staged.done).toEqual({ dispatched: events.map((event) => event.eventId), failed: new Map(), marked: true });
    expect(published).toEqual(events.map((event) => event.eventId));
  });

  it('leaves the events of a failed mark to the relay: not published, counted as lost', async () => {
    const { dispatcher, updates, published, lostMarks } = setUp();
    const events = things(3);
    const staged = dispatcher.dispatchInStages(events, { source: 'post-commit' });
    await staged.enqueued;
    await nextTurn();
    updates[0]!.finish(new Error('Postgres went away'));

    expect(await staged.done).toMatchObject({ dispatched: events.map((event) => event.eventId), marked: false });
    expect(published).toEqual([]);
    expect(await lostMarks('update_failed')).toBe(3);
  });

  it('drops the marks that do not fit in OUTBOX_MARK_BACKLOG_LIMIT while an UPDATE hangs, counts them, and still enqueues every job', async () => {
    const { dispatcher, enqueued, updates, published, lostMarks } = setUp(4);
    const first = dispatcher.dispatchInStages(things(2), { source: 'post-commit' }); // its UPDATE hangs
    await first.enqueued;
    const waiting = dispatcher.dispatchInStages(things(3), { source: 'post-commit' });
    const dropped = dispatcher.dispatchInStages(things(2), { source: 'post-commit' });
    await Promise.all([waiting.enqueued, dropped.enqueued]);

    expect(enqueued.flat()).toHaveLength(7);
    expect(await dropped.done).toMatchObject({ marked: false });
    expect(await lostMarks('backlog_full')).toBe(2);
    expect(dispatcher.marksPending).toBe(5);

    updates[0]!.finish();
    await until(() => updates.length === 2);
    updates[1]!.finish();
    expect(await Promise.all([first.done, waiting.done].map(async (done) => (await done).marked))).toEqual([true, true]);
    expect(published).toHaveLength(5);
  });
});
