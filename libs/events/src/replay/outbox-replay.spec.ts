import { DomainEvent } from '../domain/domain-event.js';
import { EventCatalog } from '../catalog/event-catalog.js';
import type { JobSink, SinkJob } from '../delivery/job-sink.js';
import type { OutboxEventRow } from '../outbox/outbox-event-row.js';
import type { ReplayCursor, ReplayRange, ReplayRows } from '../outbox/replay-rows.js';
import { OutboxReplay } from './outbox-replay.js';
import { deriveReplayId, ReplayRequestError, type ReplayRequest } from './replay-request.js';
import type { BoundReaction } from '../catalog/reaction.js';
import type { ReplayDefinition, ReplayPair, ReplayStore, StoredReplay } from './replay-store.js';

class ThingCreated extends DomainEvent<{ name: string }> {
  static readonly eventType = 'test.ThingCreated';
  static readonly schemaVersion = 1;
}

const queue = { name: 'things' };
const reaction = (name: string, toJobInput: BoundReaction['toJobInput'], mintsCredentials = false): BoundReaction => ({
  name,
  event: ThingCreated,
  job: { name: `${name}-job`, queue },
  mintsCredentials,
  declaredAt: `Test.${name}`,
  toJobInput,
});
const catalog = new EventCatalog(
  [{ name: 'things', events: [ThingCreated] }],
  [
    reaction('ship', (event) => ({ thingId: event.aggregateId })),
    reaction('audit', (event) => {
      if ((event as ThingCreated).payload.name === 'poison') throw new Error('audit refuses poison');
      return { thingId: event.aggregateId };
    }),
    reaction('invite', (event) => ({ thingId: event.aggregateId }), true),
  ],
);

const rowOf = (i: number, name = `thing-${i}`): OutboxEventRow => ({
  id: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  eventType: ThingCreated.eventType,
  schemaVersion: 1,
  aggregateId: `0190a000-0000-7000-9000-${String(i).padStart(12, '0')}`,
  payload: { name },
  correlationId: `c-${i}`,
  causationId: null,
  traceparent: null,
  occurredAt: new Date(Date.UTC(2025, 0, 10, i)),
  attempts: 0,
});

/** An outbox of dispatched rows in memory, paged like the real one (keyset on the index of the row). */
function fakeOutbox(rows: OutboxEventRow[]): Pick<ReplayRows, 'page' | 'countByStatus'> {
  return {
    async page(_range: ReplayRange, after: ReplayCursor | null, limit: number) {
      const start = after ? rows.findIndex((row) => row.id === after.id) + 1 : 0;
      const page = rows.slice(start, start + limit);
      const last = page.at(-1);
      const cursor = last ? { occurredAt: last.occurredAt.toISOString(), id: last.id } : null;
      return { rows: page, next: page.length === limit ? cursor : null, last: cursor };
    },
    async countByStatus() {
      return { pending: 0, dispatched: rows.length, dead: 0 };
    },
  };
}

/** The replay record and the inbox in memory: records are `reaction/eventId` strings, all done. */
function fakeReplays(inbox: Set<string> = new Set()) {
  let stored: StoredReplay | null = null;
  const fake = {
    runs: 0,
    inbox,
    /** Every clearInbox call's pairs, in order. */
    cleared: [] as string[][],
    async find() {
      return stored;
    },
    async now() {
      return new Date('2026-01-01T00:00:00Z');
    },
    async begin(definition: ReplayDefinition) {
      const resumed = stored !== null;
      stored ??= {
        ...definition,
        until: definition.until ?? new Date('2026-01-01T00:00:00Z'),
        inboxClearedAt: null,
        inboxCleared: null,
        cursor: null,
        runs: 0,
      };
      return { replay: stored, resumed };
    },
    async clearInbox(pairs: readonly ReplayPair[], remove: boolean) {
      const keys = pairs.map((pair) => `${pair.reaction}/${pair.eventId}`);
      fake.cleared.push(keys);
      const done: Record<string, number> = {};
      for (const [i, key] of keys.entries()) {
        done[pairs[i]!.reaction] = (done[pairs[i]!.reaction] ?? 0) + (inbox.has(key) ? 1 : 0);
        if (remove) inbox.delete(key);
      }
      return { done, inProgress: {} };
    },
    async advance(_replayId: string, cursor: ReplayCursor, cleared: Record<string, number>) {
      const totals = { ...(stored!.inboxCleared ?? {}) };
      for (const [name, n] of Object.entries(cleared)) totals[name] = (totals[name] ?? 0) + n;
      stored = { ...stored!, cursor, inboxCleared: totals };
    },
    async recordRun() {
      fake.runs++;
    },
  };
  return fake;
}

/** A job sink in memory: BullMQ's rule, an id that exists is not added again. */
function fakeSink(): JobSink & { jobs: Map<string, SinkJob> } {
  const jobs = new Map<string, SinkJob>();
  return {
    jobs,
    async enqueue(added) {
      for (const job of added) if (!jobs.has(job.jobId)) jobs.set(job.jobId, job);
    },
    async exists(_target, jobId) {
      return jobs.has(jobId);
    },
  };
}

const request = (overrides: Partial<ReplayRequest> = {}): ReplayRequest => ({
  eventType: ThingCreated.eventType,
  since: new Date('2025-01-10T00:00:00Z'),
  until: new Date('2025-01-11T00:00:00Z'),
  reprocess: false,
  dryRun: false,
  ...overrides,
});

function replayOf(rows: OutboxEventRow[], inbox?: Set<string>) {
  const sink = fakeSink();
  const replays = fakeReplays(inbox);
  const replay = new OutboxReplay(catalog, fakeOutbox(rows), replays as unknown as ReplayStore, sink);
  return { replay, sink, replays };
}

describe(OutboxReplay.name, () => {
  it('queues one job per (reaction, event) under the replay id, with the event id and correlation id', async () => {
    const { replay, sink } = replayOf([rowOf(1)]);

    const report = await replay.run(request({ reaction: 'ship' }));

    expect(report).toMatchObject({ events: 1, jobs: { added: 1, alreadyQueued: 0 }, complete: true, failed: [] });
    expect([...sink.jobs.values()].map((job) => [job.jobId, job.target.name, job.data])).toEqual([
      [
        `ship.${rowOf(1).id}.r${report.replayId}`,
        'ship-job',
        { thingId: rowOf(1).aggregateId, eventId: rowOf(1).id, correlationId: 'c-1' },
      ],
    ]);
  });

  it('continues after the last event of a run stopped by the limit, adding each job once', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => rowOf(i + 1));
    const { replay, sink, replays } = replayOf(rows);

    const first = await replay.run(request({ limit: 3, reaction: 'ship' }));
    const cursor3 = `${rowOf(3).occurredAt.toISOString()}/${rowOf(3).id}`;
    expect(first).toMatchObject({ events: 3, jobs: { added: 3 }, startedAfter: null, cursor: cursor3, complete: false });
    const second = await replay.run(request({ limit: 3, reaction: 'ship' }));
    expect(second).toMatchObject({ resumed: true, startedAfter: cursor3, events: 2, jobs: { added: 2, alreadyQueued: 0 }, complete: true });
    const third = await replay.run(request({ limit: 3, reaction: 'ship' }));
    expect(third).toMatchObject({ events: 0, jobs: { added: 0, alreadyQueued: 0 }, complete: true });
    expect([...sink.jobs.keys()]).toEqual(rows.map((row) => `ship.${row.id}.r${first.replayId}`));
    expect(replays.runs).toBe(3);
  });

  it('starts after the cursor given, and counts the jobs found queued without adding them', async () => {
    const rows = Array.from({ length: 4 }, (_, i) => rowOf(i + 1));
    const { replay, sink } = replayOf(rows);
    await replay.run(request({ reaction: 'ship' }));

    const again = await replay.run(
      request({ reaction: 'ship', after: { occurredAt: rows[1]!.occurredAt.toISOString(), id: rows[1]!.id } }),
    );

    expect(again).toMatchObject({ events: 2, jobs: { added: 0, alreadyQueued: 2 }, complete: true });
    expect(sink.jobs.size).toBe(4);
  });

  it("reprocessing in steps clears only the inbox records of each step's new jobs", async () => {
    const rows = Array.from({ length: 5 }, (_, i) => rowOf(i + 1));
    const inbox = new Set(rows.map((row) => `ship/${row.id}`));
    const { replay, replays } = replayOf(rows, inbox);

    const first = await replay.run(request({ reaction: 'ship', reprocess: true, limit: 2 }));
    expect(first.inbox).toEqual({ deleted: { ship: 2 }, inProgress: { ship: 0 }, deletedEarlier: {} });
    expect([...inbox]).toEqual(rows.slice(2).map((row) => `ship/${row.id}`)); // the rest keep their "done"
    const second = await replay.run(request({ reaction: 'ship', reprocess: true, limit: 2 }));
    expect(second.inbox).toEqual({ deleted: { ship: 2 }, inProgress: { ship: 0 }, deletedEarlier: { ship: 2 } });
    await replay.run(request({ reaction: 'ship', reprocess: true, limit: 2 }));
    expect(replays.cleared.flat()).toEqual(rows.map((row) => `ship/${row.id}`)); // each once
    expect(inbox.size).toBe(0);
  });

  it('counts the deliveries of a reaction that mints credentials, and marks them in a dry run', async () => {
    const { replay } = replayOf([rowOf(1), rowOf(2)]);

    const dry = await replay.run(request({ dryRun: true }));
    expect(dry.credentials).toEqual({ reactions: ['invite'], deliveries: 2 });
    expect(dry.deliveries!.filter((delivery) => delivery.mintsCredentials).map((delivery) => delivery.reaction)).toEqual([
      'invite',
      'invite',
    ]);
    const real = await replay.run(request({ reaction: 'invite' }));
    expect(real.credentials).toEqual({ reactions: ['invite'], deliveries: 2 });
    expect((await replay.run(request({ reaction: 'ship' }))).credentials).toEqual({ reactions: [], deliveries: 0 });
  });

  it('says a run that stopped at the limit exactly at the end of the range is complete', async () => {
    const { replay } = replayOf([rowOf(1), rowOf(2)]);

    expect(await replay.run(request({ limit: 2 }))).toMatchObject({ events: 2, complete: true });
  });

  it("reports a reaction that refuses an event and still delivers the event's other reactions and the other events", async () => {
    const { replay, sink } = replayOf([rowOf(1, 'poison'), rowOf(2)]);

    const report = await replay.run(request());

    expect(report.failed).toEqual([{ eventId: rowOf(1).id, reaction: 'audit', error: 'audit refuses poison' }]);
    expect(report.jobs.byReaction).toEqual({
      ship: { added: 2, alreadyQueued: 0 },
      audit: { added: 1, alreadyQueued: 0 },
      invite: { added: 2, alreadyQueued: 0 },
    });
    expect(sink.jobs.size).toBe(5);
  });

  it('lists what it would deliver in a dry run and adds nothing', async () => {
    const { replay, sink, replays } = replayOf([rowOf(1)]);

    const report = await replay.run(request({ dryRun: true, reaction: 'audit' }));

    expect(report.deliveries).toEqual([
      {
        eventId: rowOf(1).id,
        occurredAt: rowOf(1).occurredAt.toISOString(),
        reaction: 'audit',
        jobId: `audit.${rowOf(1).id}.r${report.replayId}`,
        alreadyQueued: false,
        mintsCredentials: false,
      },
    ]);
    expect(sink.jobs.size).toBe(0);
    expect(replays.runs).toBe(0);
  });

  it.each([
    [{ eventType: 'test.Nope' }, 'unknown event type "test.Nope"; known types: test.ThingCreated'],
    [{ reaction: 'nope' }, 'unknown reaction "nope" for test.ThingCreated; its reactions: ship, audit, invite'],
    [{ until: new Date('2025-01-10T00:00:00Z') }, 'must be before --until'],
    [{ since: new Date('2030-01-01T00:00:00Z'), until: undefined }, 'is not in the past'],
  ])('refuses %j', async (overrides, message) => {
    const { replay, sink } = replayOf([rowOf(1)]);

    await expect(replay.run(request(overrides))).rejects.toThrow(ReplayRequestError);
    await expect(replay.run(request(overrides))).rejects.toThrow(message);
    expect(sink.jobs.size).toBe(0);
  });
});

describe(deriveReplayId.name, () => {
  it('is the same for the same arguments and differs when any of them does', () => {
    const base = request();
    const id = deriveReplayId(base);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(deriveReplayId({ ...base })).toBe(id);
    for (const other of [
      { ...base, reaction: 'ship' },
      { ...base, reprocess: true },
      { ...base, until: undefined },
      { ...base, since: new Date('2025-01-09T00:00:00Z') },
      { ...base, eventType: 'test.Other' },
    ]) {
      expect(deriveReplayId(other)).not.toBe(id);
    }
  });
});
