import { Logger } from '@nestjs/common';
import type { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import { DomainEvent } from './domain-event.js';
import type { DispatchOptions, DispatchOutcome, EventDispatcher } from './event-dispatcher.js';
import { MAX_CONCURRENT_DISPATCHES, MAX_DISPATCH_BATCH, PostCommitDispatch } from './post-commit-dispatch.js';

class Happened extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'test.Happened';
  static readonly schemaVersion = 1;
}

/** A dispatcher whose dispatches finish only when the test says so. */
class ControlledDispatcher {
  readonly calls: { events: readonly DomainEvent[]; options: DispatchOptions; finished: boolean; finish: (error?: Error) => void }[] = [];

  dispatch(events: readonly DomainEvent[], options: DispatchOptions): Promise<DispatchOutcome> {
    return new Promise((resolve, reject) => {
      const call = {
        events,
        options,
        finished: false,
        finish: (error?: Error) => {
          call.finished = true;
          if (error) reject(error);
          else resolve({ dispatched: events.map((event) => event.eventId), failed: new Map() });
        },
      };
      this.calls.push(call);
    });
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
