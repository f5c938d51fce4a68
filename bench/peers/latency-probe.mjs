// Where commit → job start's tail goes (issue 23): what this process and Postgres were doing while the
// slowest jobs waited. A probe runs beside a paced run and records, on the clock the bench stamps
// commits and job starts with (performance.now()):
//
//   - the event loop's delay (perf_hooks.monitorEventLoopDelay, the whole run's distribution) and its
//     stalls as a timeline: a timer due every TICK_MS that fires STALL_MS or more late marks a stall,
//     with the CPU this process used meanwhile (near the stall's length: it was busy running code or
//     collecting garbage; near zero: it was not scheduled, the cores were busy elsewhere);
//   - garbage collections (PerformanceObserver 'gc': start, pause, kind);
//   - whatever `sample()` reports each tick (the post-commit dispatch's backlog and marks in flight);
//   - Postgres checkpoints: the checkpointer's counters (pg_stat_checkpointer, or pg_stat_bgwriter
//     before Postgres 17) before, after, and polled every CHECKPOINT_POLL_MS, so a slow event can be
//     matched with a checkpoint's writes or fsyncs. Cluster-wide: other databases' work shows too.
//   - Redis forks (RDB snapshots, AOF rewrites: a fork stalls Redis for a moment), from INFO, polled
//     alike. Server-wide too.
//
// attribute() then takes the slowest 1 % of the run's events (at or above its p99) and splits each
// into commit → enqueue call (herald's dispatch: a lane, its setImmediate turn, a mark lane), the
// enqueue (Redis acknowledging the addBulk) and enqueued → job start (BullMQ handing the job to the
// worker: up to its moveToActive, the job's processedOn; then herald's runtime calling the handler),
// and says what overlapped it.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const TICK_MS = 2;
const STALL_MS = 5;
const CHECKPOINT_POLL_MS = 200;
const KINDS = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak-callbacks', 16: 'minor-mark-sweep' };

/** The checkpointer's counters, whichever view this Postgres has. */
async function checkpointCounters(db) {
  const { rows } = await db.query(`SELECT to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL AS v17`);
  const sql = rows[0].v17
    ? `SELECT num_timed AS timed, num_requested AS requested, write_time AS "writeMs", sync_time AS "syncMs", buffers_written AS buffers FROM pg_stat_checkpointer`
    : `SELECT checkpoints_timed AS timed, checkpoints_req AS requested, checkpoint_write_time AS "writeMs", checkpoint_sync_time AS "syncMs", buffers_checkpoint AS buffers FROM pg_stat_bgwriter`;
  const [row] = (await db.query(sql)).rows;
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)]));
}

/** Redis's fork count and whether a snapshot or rewrite is under way. */
async function redisForks(redis) {
  const info = await redis.info();
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    forks: field('total_forks'),
    saving: field('rdb_bgsave_in_progress') + field('aof_rewrite_in_progress'),
    lastForkUs: field('latest_fork_usec'),
  };
}

/**
 * Starts the probe; `stop()` resolves with what it saw. `db`: a pg pool for the checkpoint counters,
 * `redis`: an ioredis client for Redis's forks (both optional).
 */
export async function startProbe({ db, redis, sample } = {}) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const gc = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.push({ start: entry.startTime, ms: entry.duration, kind: KINDS[entry.detail?.kind] ?? String(entry.detail?.kind) });
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  const stalls = [];
  const samples = [];
  let due = performance.now() + TICK_MS;
  let cpu = process.cpuUsage();
  let timer;
  const tick = () => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    if (now - due >= STALL_MS) stalls.push({ start: due, end: now, cpuMs: (used.user + used.system) / 1000 });
    const state = sample?.();
    if (state) samples.push({ at: now, ...state });
    due = now + TICK_MS;
    timer = setTimeout(tick, TICK_MS);
  };
  timer = setTimeout(tick, TICK_MS);

  const checkpoints = { before: db ? await checkpointCounters(db).catch(() => null) : null, changes: [] };
  let last = checkpoints.before;
  let polling = Promise.resolve();
  const poller =
    db &&
    last &&
    setInterval(() => {
      polling = polling.then(async () => {
        const now = await checkpointCounters(db).catch(() => null);
        if (!now) return;
        if (now.timed + now.requested !== last.timed + last.requested || now.buffers !== last.buffers || now.syncMs !== last.syncMs) {
          checkpoints.changes.push({
            at: performance.now(),
            started: now.timed + now.requested - (last.timed + last.requested),
            buffers: now.buffers - last.buffers,
            syncMs: now.syncMs - last.syncMs,
          });
        }
        last = now;
      });
    }, CHECKPOINT_POLL_MS);

  const forks = { before: redis ? await redisForks(redis).catch(() => null) : null, changes: [] };
  let lastForks = forks.before;
  let forkPolling = Promise.resolve();
  const forkPoller =
    redis &&
    lastForks &&
    setInterval(() => {
      forkPolling = forkPolling.then(async () => {
        const now = await redisForks(redis).catch(() => null);
        if (!now) return;
        if (now.forks !== lastForks.forks || now.saving !== lastForks.saving) {
          forks.changes.push({ at: performance.now(), forks: now.forks - lastForks.forks, saving: now.saving, lastForkUs: now.lastForkUs });
        }
        lastForks = now;
      });
    }, CHECKPOINT_POLL_MS);

  return {
    async stop() {
      clearTimeout(timer);
      if (poller) clearInterval(poller);
      if (forkPoller) clearInterval(forkPoller);
      await Promise.all([polling, forkPolling]);
      delay.disable();
      observer.disconnect();
      const after = db && checkpoints.before ? await checkpointCounters(db).catch(() => null) : null;
      const ms = (ns) => Number((ns / 1e6).toFixed(2));
      return {
        loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
        gc,
        stalls,
        samples,
        redisForks: { during: forks.changes.reduce((n, c) => n + c.forks, 0), changes: forks.changes },
        checkpoints: {
          ...checkpoints,
          after,
          delta: after && Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - checkpoints.before[key]])),
        },
      };
    },
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? Number(sorted[Math.floor(sorted.length / 2)].toFixed(2)) : null;
};
const overlap = (a0, a1, b0, b1) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/**
 * The slowest 1 % of `events` ({ committedAt, enqueueCalledAt?, enqueuedAt?, startedAt }) explained
 * with what `probes` (one per run, each with the run's events) saw. Every event of a probe's run must
 * carry that probe's index as `run`.
 */
export function attribute(events, probes) {
  const delays = events.map((event) => event.startedAt - event.committedAt).sort((a, b) => a - b);
  if (delays.length === 0) return null;
  const p99 = delays[Math.min(delays.length - 1, Math.floor(0.99 * delays.length))];
  const slow = events.filter((event) => event.startedAt - event.committedAt >= p99);
  const segments = { dispatchWait: [], enqueue: [], pickUp: [] };
  const dominant = { dispatchWait: 0, enqueue: 0, pickUp: 0, unknown: 0 };
  let withGc = 0;
  let withStall = 0;
  let withCheckpoint = 0;
  let withRedisFork = 0;
  const gcMs = [];
  const stallMs = [];
  const stallCpuShare = [];
  const marksInFlight = [];
  const backlog = [];
  const workerReady = [];
  for (const event of slow) {
    const probe = probes[event.run];
    const [t0, t1] = [event.committedAt, event.startedAt];
    if (event.enqueueCalledAt !== undefined && event.enqueuedAt !== undefined) {
      const split = {
        dispatchWait: event.enqueueCalledAt - t0,
        enqueue: event.enqueuedAt - event.enqueueCalledAt,
        pickUp: t1 - event.enqueuedAt,
      };
      for (const [name, ms] of Object.entries(split)) segments[name].push(ms);
      dominant[Object.entries(split).sort(([, a], [, b]) => b - a)[0][0]]++;
      const during = probe.samples.filter((s) => s.at >= t0 && s.at <= event.enqueueCalledAt);
      if (during.length) {
        marksInFlight.push(Math.max(...during.map((s) => s.marksInFlight ?? 0)));
        backlog.push(Math.max(...during.map((s) => s.backlog ?? 0)));
      }
      const pickingUp = probe.samples.filter((s) => s.at >= event.enqueuedAt && s.at <= t1);
      if (pickingUp.length) workerReady.push(Math.max(...pickingUp.map((s) => s.workerReady ?? 0)));
    } else dominant.unknown++;
    const paused = probe.gc.reduce((sum, g) => sum + overlap(t0, t1, g.start, g.start + g.ms), 0);
    if (paused > 0) {
      withGc++;
      gcMs.push(paused);
    }
    const stalls = probe.stalls.filter((s) => overlap(t0, t1, s.start, s.end) > 0);
    if (stalls.length) {
      withStall++;
      const stalled = stalls.reduce((sum, s) => sum + overlap(t0, t1, s.start, s.end), 0);
      stallMs.push(stalled);
      stallCpuShare.push(stalls.reduce((sum, s) => sum + s.cpuMs, 0) / stalls.reduce((sum, s) => sum + (s.end - s.start), 0));
    }
    if (probe.checkpoints.changes.some((c) => c.at >= t0 && c.at <= t1 + CHECKPOINT_POLL_MS)) withCheckpoint++;
    if (probe.redisForks.changes.some((c) => c.at >= t0 && c.at <= t1 + CHECKPOINT_POLL_MS)) withRedisFork++;
  }
  // Every event's split, for comparison: is a slow event's largest segment slow for everyone?
  const split = events.filter((e) => e.enqueueCalledAt !== undefined && e.enqueuedAt !== undefined);
  const quantiles = (values) => {
    const sorted = values.sort((a, b) => a - b);
    const q = (x) => (sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))].toFixed(2)) : null);
    return { p50: q(0.5), p99: q(0.99), max: q(1) };
  };
  // Slow events that started within 20 ms of each other (same run) count as one burst: one incident or many?
  const bursts = [];
  for (const event of [...slow].sort((a, b) => a.run - b.run || a.startedAt - b.startedAt)) {
    const last = bursts.at(-1);
    if (last && last.run === event.run && event.startedAt - last.end <= 20) {
      last.end = event.startedAt;
      last.size++;
    } else bursts.push({ run: event.run, end: event.startedAt, size: 1 });
  }
  const all = (key) => probes.flatMap((p) => p[key]);
  const gcAll = all('gc');
  const runsDelay = probes.map((p) => p.loopDelayMs);
  return {
    p99Ms: Number(p99.toFixed(2)),
    slowEvents: slow.length,
    slowBursts: { count: bursts.length, largest: Math.max(...bursts.map((b) => b.size)) },
    allEventsSegmentsMs: {
      dispatchWait: quantiles(split.map((e) => e.enqueueCalledAt - e.committedAt)),
      enqueue: quantiles(split.map((e) => e.enqueuedAt - e.enqueueCalledAt)),
      pickUp: quantiles(split.map((e) => e.startedAt - e.enqueuedAt)),
      // Pick-up in two: BullMQ's worker taking the job (processedOn), then herald's runtime calling the handler.
      toActive: quantiles(split.filter((e) => e.movedToActiveAt !== undefined).map((e) => e.movedToActiveAt - e.enqueuedAt)),
      activeToHandler: quantiles(split.filter((e) => e.movedToActiveAt !== undefined).map((e) => e.startedAt - e.movedToActiveAt)),
    },
    slowPickUpMedianMs: {
      toActive: median(
        slow.filter((e) => e.movedToActiveAt !== undefined && e.enqueuedAt !== undefined).map((e) => e.movedToActiveAt - e.enqueuedAt),
      ),
      activeToHandler: median(slow.filter((e) => e.movedToActiveAt !== undefined).map((e) => e.startedAt - e.movedToActiveAt)),
    },
    // Median of each segment over the slow events, and how many each segment dominated.
    slowSegmentsMedianMs: Object.fromEntries(Object.entries(segments).map(([name, list]) => [name, median(list)])),
    dominantSegment: dominant,
    // Slow events that a GC pause, an event-loop stall, or checkpoint activity overlapped.
    withGcPause: { events: withGc, medianPauseMs: median(gcMs) },
    withEventLoopStall: { events: withStall, medianStallMs: median(stallMs), medianCpuShareOfStall: median(stallCpuShare) },
    duringCheckpointActivity: withCheckpoint,
    duringRedisFork: withRedisFork,
    postCommitDuringDispatchWait: { maxMarksInFlightMedian: median(marksInFlight), maxBacklogMedian: median(backlog) },
    // BullMQ's main loop while they were picked up: jobs resolved and not yet taken (median of the maxima).
    workerReadyDuringPickUpMedian: median(workerReady),
    // The whole paced runs.
    eventLoopDelayMs: { p99Median: median(runsDelay.map((d) => d.p99)), max: Math.max(...runsDelay.map((d) => d.max)) },
    gc: {
      pauses: gcAll.length,
      totalMs: Number(gcAll.reduce((sum, g) => sum + g.ms, 0).toFixed(1)),
      maxMs: Number(Math.max(0, ...gcAll.map((g) => g.ms)).toFixed(2)),
      byKind: gcAll.reduce((kinds, g) => ({ ...kinds, [g.kind]: (kinds[g.kind] ?? 0) + 1 }), {}),
    },
    eventLoopStalls: {
      count: all('stalls').length,
      over20Ms: all('stalls').filter((s) => s.end - s.start >= 20).length,
      maxMs: Number(Math.max(0, ...all('stalls').map((s) => s.end - s.start)).toFixed(1)),
    },
    checkpoints: probes.map((p) => p.checkpoints.delta),
    redisForks: probes.map((p) => p.redisForks.during),
  };
}
