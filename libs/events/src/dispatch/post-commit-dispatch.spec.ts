import { Logger } from '@nestjs/common';
import type { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import { DomainEvent } from '../domain/domain-event.js';
import type { DispatchOptions, DispatchOutcome, EventDispatcher, StagedDispatch } from './event-dispatcher.js';
import { MAX_CONCURRENT_DISPATCHES, MAX_DISPATCH_BATCH, MAX_MARKS_IN_FLIGHT, PostCommitDispatch } from './post-commit-dispatch.js';

class Happened extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'test.Happened';
  static readonly schemaVersion = 1;
}

/**
 * A dispatcher whose dispatches move on only when the test says so:
 * `acknowledge()` — Redis has the jobs; `finish()` — the rows are marked too
 * (acknowledging first if that has not happened).
 */
class ControlledDispatcher {
  readonly calls: {
    events: readonly DomainEvent[];
    options: DispatchOptions;
    acknowledged: boolean;
    finished: boolean;
    acknowledge: () => void;
    finish: (error?: Error) => void;
  }[] = [];

  dispatchInStages(events: readonly DomainEvent[], options: DispatchOptions): StagedDispatch {
    let acknowledge!: () => void;
    const enqueued = new Promise<void>((resolve) => (acknowledge = resolve));
    let finish!: (error?: Error) => void;
    const done = new Promise<DispatchOutcome>((resolve, reject) => {
      finish = (error?: Error) =>
        error ? reject(error) : resolve({ dispatched: events.map((event) => event.eventId), failed: new Map() });
    });
    const call = {
      events,
      options,
      acknowledged: false,
      finished: false,
      acknowledge: () => {
        call.acknowledged = true;
        acknowledge();
      },
      finish: (error?: Error) => {
        call.acknowledge();
        call.finished = true;
        finish(error);
      },
    };
    this.calls.push(call);
    return { enqueued, done };
  }

  unfinished() {
    return this.calls.filter((call) => !call.finished);
  }
}

const BACKLOG_LIMIT = 1000;
const config = { outbox: { dispatchBacklogLimit: BACKLOG_LIMIT } } as HeraldConfig;
const events = (n: number) => Array.from({ length: n }, () => Happened.create('aggregate', {}));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('PostCommitDispatch (group dispatch)', () => {
  let dispatcher: ControlledDispatcher;
  let postCommit: PostCommitDispatch;
  let metrics: Metrics;

  beforeAll(() => Logger.overrideLogger(false)); // the failed-dispatch case warns on purpose

  beforeEach(() => {
    dispatcher = new ControlledDispatcher();
    metrics = new Metrics();
    postCommit = new PostCommitDispatch(dispatcher as unknown as EventDispatcher, config, metrics);
  });

  it('dispatches the commits of one event loop turn together, each event with its commit time', async () => {
    const [a, b, c] = [events(1), events(2), events(1)];
    postCommit.afterCommit(a);
    postCommit.afterCommit(b);
    postCommit.afterCommit(c);
    await nextTurn();

    expect(dispatcher.calls).toHaveLength(1);
    const call = dispatcher.calls[0]!;
    expect(call.events.map((event) => event.eventId)).toEqual([...a, ...b, ...c].map((event) => event.eventId));
    expect(call.options.source).toBe('post-commit');
    expect([...call.options.committedAt!.keys()]).toEqual(call.events.map((event) => event.eventId));
    call.finish();
    await postCommit.drain();
  });

  it(`while ${MAX_CONCURRENT_DISPATCHES} dispatches are under way, later commits wait and then go together in the next one`, async () => {
    postCommit.afterCommit(events(1));
    await nextTurn();
    postCommit.afterCommit(events(2));
    await nextTurn();
    expect(dispatcher.calls.map((call) => call.events.length)).toEqual([1, 2]); // two lanes busy

    for (const batch of [events(1), events(3), events(2)]) {
      postCommit.afterCommit(batch);
      await nextTurn();
    }
    expect(dispatcher.calls).toHaveLength(MAX_CONCURRENT_DISPATCHES); // nothing overtakes the dispatches under way

    dispatcher.calls[0]!.finish();
    await nextTurn();
    expect(dispatcher.calls).toHaveLength(3);
    expect(dispatcher.calls[2]!.events).toHaveLength(6);
    dispatcher.calls[1]!.finish();
    dispatcher.calls[2]!.finish();
    await postCommit.drain();
    expect(dispatcher.calls).toHaveLength(3);
  });

  it('a commit right after the last lane finished starts a new lane at once', async () => {
    postCommit.afterCommit(events(1));
    await nextTurn();
    dispatcher.calls[0]!.finish();
    await postCommit.drain();
    postCommit.afterCommit(events(1));
    await nextTurn();
    expect(dispatcher.calls).toHaveLength(2);
    dispatcher.calls[1]!.finish();
    await postCommit.drain();
  });

  it(`splits a backlog into dispatches of at most ${MAX_DISPATCH_BATCH} events`, async () => {
    postCommit.afterCommit(events(MAX_DISPATCH_BATCH + 7));
    await nextTurn();
    expect(dispatcher.calls[0]!.events).toHaveLength(MAX_DISPATCH_BATCH);
    dispatcher.calls[0]!.finish();
    await nextTurn();
    expect(dispatcher.calls[1]!.events).toHaveLength(7);
    dispatcher.calls[1]!.finish();
    await postCommit.drain();
  });

  it('a failed dispatch leaves its events to the relay and the next commits are still dispatched', async () => {
    postCommit.afterCommit(events(2));
    await nextTurn();
    dispatcher.calls[0]!.finish(new Error('Redis went away'));
    await postCommit.drain();
    postCommit.afterCommit(events(1));
    await nextTurn();
    expect(dispatcher.calls).toHaveLength(2);
    expect(dispatcher.calls[1]!.events).toHaveLength(1);
    dispatcher.calls[1]!.finish();
    await postCommit.drain();
  });

  it('a lane sends its next batch to Redis once the jobs of the last one are there, while the rows are still being marked', async () => {
    postCommit.afterCommit(events(1));
    await nextTurn();
    postCommit.afterCommit(events(2));
    await nextTurn();
    postCommit.afterCommit(events(3)); // both lanes busy: waits
    await nextTurn();
    expect(dispatcher.calls).toHaveLength(2);

    dispatcher.calls[0]!.acknowledge(); // Redis has the first batch's jobs; its UPDATE is not done
    await nextTurn();
    expect(dispatcher.calls).toHaveLength(3);
    expect(dispatcher.calls[2]!.events).toHaveLength(3);

    let drained = false;
    const draining = postCommit.drain().then(() => (drained = true));
    for (const call of dispatcher.calls.slice(1)) call.finish();
    await nextTurn();
    expect(drained).toBe(false); // the first batch's rows are still being marked
    dispatcher.calls[0]!.finish();
    await draining;
  });

  it(`waits for the rows' UPDATEs when ${MAX_MARKS_IN_FLIGHT} are unfinished, so a slow Postgres slows the lanes down`, async () => {
    // One lane at a time here: each batch is acknowledged by Redis at once, none is marked.
    const acknowledgeAll = async () => {
      for (let turn = 0; turn < 10; turn++) {
        for (const call of dispatcher.calls) if (!call.acknowledged) call.acknowledge();
        await nextTurn();
      }
    };
    for (let i = 0; i < MAX_MARKS_IN_FLIGHT + 3; i++) {
      postCommit.afterCommit(events(1));
      await acknowledgeAll();
    }
    // Each lane waits with its own batch's UPDATE counted: MAX_MARKS_IN_FLIGHT + 2 unfinished.
    expect(dispatcher.calls).toHaveLength(MAX_MARKS_IN_FLIGHT + MAX_CONCURRENT_DISPATCHES);
    expect(postCommit.backlog).toBe(1);

    dispatcher.calls[0]!.finish();
    await acknowledgeAll();
    expect(dispatcher.calls).toHaveLength(MAX_MARKS_IN_FLIGHT + MAX_CONCURRENT_DISPATCHES); // still above the bound
    dispatcher.calls[1]!.finish(); // back at the bound: the lanes go on
    await acknowledgeAll();
    expect(dispatcher.calls).toHaveLength(MAX_MARKS_IN_FLIGHT + MAX_CONCURRENT_DISPATCHES + 1);
    expect(postCommit.backlog).toBe(0);
    for (const call of dispatcher.calls) call.finish();
    await postCommit.drain();
  });

  it('drain() waits for every event handed over, including those that arrive during the drain', async () => {
    postCommit.afterCommit(events(1));
    let drained = false;
    const draining = postCommit.drain().then(() => (drained = true));
    await nextTurn();
    postCommit.afterCommit(events(1));
    await nextTurn();
    dispatcher.calls[0]!.finish();
    await nextTurn();
    expect(drained).toBe(false);
    dispatcher.calls[1]!.finish();
    await draining;
    expect(drained).toBe(true);
  });

  it('hands nothing over for a transaction without events', async () => {
    postCommit.afterCommit([]);
    await nextTurn();
    await postCommit.drain();
    expect(dispatcher.calls).toHaveLength(0);
  });

  it(`holds at most OUTBOX_DISPATCH_BACKLOG_LIMIT events while Redis is slow, leaves the rest to the relay and counts them`, async () => {
    const overflowCount = async () => Number(/herald_outbox_dispatch_overflow_total (\d+)/.exec((await metrics.render()).body)?.[1] ?? NaN);
    postCommit.afterCommit(events(1));
    await nextTurn();
    postCommit.afterCommit(events(1));
    await nextTurn(); // both lanes are now waiting for Redis
    for (let i = 0; i < 3; i++) postCommit.afterCommit(events(BACKLOG_LIMIT / 2));
    expect(postCommit.backlog).toBe(BACKLOG_LIMIT);
    expect(await overflowCount()).toBe(BACKLOG_LIMIT / 2);
    postCommit.afterCommit(events(3));
    expect(postCommit.backlog).toBe(BACKLOG_LIMIT);
    expect(await overflowCount()).toBe(BACKLOG_LIMIT / 2 + 3);

    // Redis recovers: every held event is dispatched, and nothing else.
    while (dispatcher.unfinished().length > 0) {
      for (const call of dispatcher.unfinished()) call.finish();
      await nextTurn();
    }
    await postCommit.drain();
    const dispatched = dispatcher.calls.reduce((sum, call) => sum + call.events.length, 0);
    expect(dispatched).toBe(2 + BACKLOG_LIMIT);
  });
});
