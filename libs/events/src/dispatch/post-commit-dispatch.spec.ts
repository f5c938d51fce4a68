import { Logger } from '@nestjs/common';
import type { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import { DomainEvent } from '../domain/domain-event.js';
import type { DispatchOptions, DispatchOutcome, EventDispatcher, StagedDispatch } from './event-dispatcher.js';
import { MAX_DISPATCH_BATCH, PostCommitDispatch } from './post-commit-dispatch.js';

class Happened extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'test.Happened';
  static readonly schemaVersion = 1;
}

/**
 * A dispatcher whose dispatches move on only when the test says so (each
 * call is recorded when it is made, so a test sees whether it was synchronous):
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
        error ? reject(error) : resolve({ dispatched: events.map((event) => event.eventId), failed: new Map(), marked: true });
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

  get marksPending(): number {
    return this.calls.filter((call) => call.acknowledged && !call.finished).reduce((sum, call) => sum + call.events.length, 0);
  }
}

const BACKLOG_LIMIT = 1000;
const SHUTDOWN_TIMEOUT_MS = 40;
const LANES = 3; // OUTBOX_DISPATCH_CONCURRENCY
const config = {
  outbox: { dispatchBacklogLimit: BACKLOG_LIMIT, dispatchConcurrency: LANES },
  lifecycle: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS },
} as HeraldConfig;
const events = (n: number) => Array.from({ length: n }, () => Happened.create('aggregate', {}));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const ids = (list: readonly DomainEvent[]) => list.map((event) => event.eventId);

describe('PostCommitDispatch (group dispatch)', () => {
  let dispatcher: ControlledDispatcher;
  let postCommit: PostCommitDispatch;
  let metrics: Metrics;

  beforeAll(() => Logger.overrideLogger(false)); // the failure cases log on purpose

  beforeEach(() => {
    dispatcher = new ControlledDispatcher();
    metrics = new Metrics();
    postCommit = new PostCommitDispatch(dispatcher as unknown as EventDispatcher, config, metrics);
  });

  /** Fills every lane: each commit's dispatch waits for Redis. */
  const saturate = () => {
    for (let i = 0; i < LANES; i++) postCommit.afterCommit(events(1));
  };
  /** Lets Redis answer every dispatch (marks included) until none is left. */
  const finishAll = async () => {
    while (dispatcher.unfinished().length > 0) {
      for (const call of dispatcher.unfinished()) call.finish();
      await nextTurn();
    }
    await postCommit.drain();
  };

  it("sends an idle process's commit to Redis before afterCommit returns, each event with its commit time", async () => {
    const committed = events(2);
    postCommit.afterCommit(committed);

    expect(dispatcher.calls).toHaveLength(1); // no event loop turn, no timer
    const call = dispatcher.calls[0]!;
    expect(ids(call.events)).toEqual(ids(committed));
    expect(call.options.source).toBe('post-commit');
    expect([...call.options.committedAt!.keys()]).toEqual(ids(committed));
    await finishAll();
  });

  it(`sends each commit at once while fewer than OUTBOX_DISPATCH_CONCURRENCY (${LANES}) enqueues are under way; then later commits wait and go together`, async () => {
    saturate();
    expect(dispatcher.calls.map((call) => call.events.length)).toEqual(Array(LANES).fill(1));

    const [a, b, c] = [events(1), events(3), events(2)];
    for (const batch of [a, b, c]) {
      postCommit.afterCommit(batch);
      await nextTurn();
    }
    expect(dispatcher.calls).toHaveLength(LANES); // nothing overtakes the enqueues under way
    expect(postCommit.backlog).toBe(6);

    dispatcher.calls[0]!.acknowledge();
    await nextTurn();
    expect(dispatcher.calls).toHaveLength(LANES + 1);
    expect(ids(dispatcher.calls.at(-1)!.events)).toEqual(ids([...a, ...b, ...c]));
    await finishAll();
    expect(dispatcher.calls).toHaveLength(LANES + 1);
  });

  it('a commit right after the last lane finished starts a new lane at once', async () => {
    postCommit.afterCommit(events(1));
    await finishAll();
    postCommit.afterCommit(events(1));
    expect(dispatcher.calls).toHaveLength(2);
    await finishAll();
  });

  it(`splits a backlog into dispatches of at most ${MAX_DISPATCH_BATCH} events`, async () => {
    saturate();
    postCommit.afterCommit(events(MAX_DISPATCH_BATCH + 7));
    dispatcher.calls[0]!.acknowledge();
    await nextTurn();
    expect(dispatcher.calls.at(-1)!.events).toHaveLength(MAX_DISPATCH_BATCH);
    dispatcher.calls.at(-1)!.acknowledge();
    await nextTurn();
    expect(dispatcher.calls.at(-1)!.events).toHaveLength(7);
    await finishAll();
  });

  it('a failed dispatch leaves its events to the relay and the next commits are still dispatched', async () => {
    postCommit.afterCommit(events(2));
    dispatcher.calls[0]!.finish(new Error('Redis went away'));
    await postCommit.drain();
    postCommit.afterCommit(events(1));
    expect(dispatcher.calls).toHaveLength(2);
    expect(dispatcher.calls[1]!.events).toHaveLength(1);
    await finishAll();
  });

  it('never fails the commit, even when the dispatcher throws at once; the rows stay pending for the relay', async () => {
    dispatcher.dispatchInStages = () => {
      throw new Error('a bug in a reaction lookup');
    };
    expect(() => postCommit.afterCommit(events(1))).not.toThrow();
    await postCommit.drain();
  });

  it('a lane never waits for a mark: it sends its next batch once Redis has the last one, however many rows are still being marked', async () => {
    // Redis answers every enqueue; no UPDATE ever finishes.
    const acknowledgeAll = async () => {
      while (dispatcher.calls.some((call) => !call.acknowledged)) {
        for (const call of dispatcher.calls) if (!call.acknowledged) call.acknowledge();
        await nextTurn();
      }
    };
    postCommit.afterCommit(events(1));
    for (let i = 0; i < 50; i++) {
      saturate();
      await acknowledgeAll();
    }
    expect(postCommit.backlog).toBe(0);
    expect(dispatcher.calls.some((call) => call.finished)).toBe(false);
    expect(dispatcher.calls.reduce((sum, call) => sum + call.events.length, 0)).toBe(1 + 50 * LANES);
    await finishAll();
  });

  it('drain() waits for every event handed over and its mark, including those that arrive during the drain', async () => {
    postCommit.afterCommit(events(1));
    let drained = false;
    const draining = postCommit.drain().then(() => (drained = true));
    await nextTurn();
    postCommit.afterCommit(events(1));
    dispatcher.calls[0]!.finish();
    dispatcher.calls[1]!.acknowledge(); // in Redis, not yet marked
    await nextTurn();
    expect(drained).toBe(false);
    dispatcher.calls[1]!.finish();
    await draining;
    expect(drained).toBe(true);
  });

  it('on shutdown waits for the marks under way, but at most half of SHUTDOWN_TIMEOUT_MS', async () => {
    postCommit.afterCommit(events(3));
    dispatcher.calls[0]!.acknowledge(); // the mark never finishes: Postgres hangs
    await postCommit.beforeApplicationShutdown(); // returns anyway: the rows are left to the relay
    expect(dispatcher.calls[0]!.finished).toBe(false);

    postCommit.afterCommit(events(1));
    dispatcher.calls[1]!.acknowledge();
    let stopped = false;
    const stopping = postCommit.beforeApplicationShutdown().then(() => (stopped = true));
    await nextTurn();
    expect(stopped).toBe(false);
    dispatcher.calls[1]!.finish();
    dispatcher.calls[0]!.finish();
    await stopping;
  });

  it('hands nothing over for a transaction without events', async () => {
    postCommit.afterCommit([]);
    await postCommit.drain();
    expect(dispatcher.calls).toHaveLength(0);
  });

  it(`holds at most OUTBOX_DISPATCH_BACKLOG_LIMIT events while Redis is slow, leaves the rest to the relay and counts them`, async () => {
    const overflowCount = async () => Number(/herald_outbox_dispatch_overflow_total (\d+)/.exec((await metrics.render()).body)?.[1] ?? NaN);
    saturate(); // every lane is now waiting for Redis
    for (let i = 0; i < 3; i++) postCommit.afterCommit(events(BACKLOG_LIMIT / 2));
    expect(postCommit.backlog).toBe(BACKLOG_LIMIT);
    expect(await overflowCount()).toBe(BACKLOG_LIMIT / 2);
    postCommit.afterCommit(events(3));
    expect(postCommit.backlog).toBe(BACKLOG_LIMIT);
    expect(await overflowCount()).toBe(BACKLOG_LIMIT / 2 + 3);

    // Redis recovers: every held event is dispatched, and nothing else.
    await finishAll();
    const dispatched = dispatcher.calls.reduce((sum, call) => sum + call.events.length, 0);
    expect(dispatched).toBe(LANES + BACKLOG_LIMIT);
  });
});
