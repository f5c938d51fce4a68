// The bench's side of bench/count-io.mjs: starts the apps with the counting preload (BENCH_COUNT_IO=0
// turns it off), asks a running app for its counts (SIGUSR2, then its file), and turns the counts of a
// window into figures per request or per job, net of what the process does when idle (the relay's
// polls, BullMQ's blocking waits and checks, health and metrics).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { difference, snapshot } from './count-io.mjs';
import { sleep, waitFor } from './lib.mjs';

const PRELOAD = fileURLToPath(new URL('./count-io.mjs', import.meta.url));

export const countingEnabled = () => process.env.BENCH_COUNT_IO !== '0';

/** A directory for the apps' count files, and the node flag and environment that turn counting on (nothing if off). */
export function ioCounting() {
  if (!countingEnabled()) return { nodeArgs: [], env: {}, close: () => undefined };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'herald-count-io-'));
  return {
    nodeArgs: ['--import', PRELOAD],
    env: { COUNT_IO_DIR: dir },
    dir,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The counts of a running App so far (null when counting is off or the app is gone). */
export async function countsOf(app, counting) {
  if (!counting.dir || !app.child || app.child.exitCode !== null) return null;
  const file = path.join(counting.dir, `${app.child.pid}.json`);
  const read = () => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return null;
    }
  };
  const before = read()?.reports ?? 0;
  app.child.kill('SIGUSR2');
  return waitFor(`${app.name}'s I/O counts`, async () => (read()?.reports ?? 0) > before && read(), 10_000, 5);
}

/** Counts of several apps at once: { api: snapshot, worker: snapshot }. */
export async function countsOfApps(apps, counting) {
  const entries = await Promise.all(Object.entries(apps).map(async ([name, app]) => [name, await countsOf(app, counting)]));
  return Object.fromEntries(entries);
}

/** What each app does per second with nothing to do, over `ms`. */
export async function idleRates(apps, counting, ms = 3000) {
  if (!counting.dir) return null;
  const before = await countsOfApps(apps, counting);
  await sleep(ms);
  return windowOf(before, await countsOfApps(apps, counting));
}

/** The counts between two countsOfApps() snapshots, per app (null when counting is off). */
export function windowOf(before, after) {
  if (!before || !after) return null;
  const names = Object.keys(after).filter((name) => before[name] && after[name]);
  return Object.fromEntries(names.map((name) => [name, difference(before[name], after[name])]));
}

/** Two windows added up (several runs' windows, without what happened between them). */
export function addWindows(a, b) {
  if (!a) return b;
  if (!b) return a;
  const add = (x, y) => {
    const out = { ...x };
    for (const [key, value] of Object.entries(y)) {
      out[key] = typeof value === 'number' ? (out[key] ?? 0) + value : add(out[key] ?? {}, value);
    }
    return out;
  };
  return add(a, b);
}

const HEADLINE = {
  pg: ['roundTrips', 'statements', 'commits', 'transactions'],
  redis: ['roundTrips', 'commands'],
};
const perUnit = (value, units) => Number((value / units).toFixed(2));

/**
 * Per unit (request, email job) for each app: Postgres round trips, statements, commits and
 * transactions; Redis round trips and commands, less the idle rate over the window's length (windowOf,
 * addWindows); and, not net of idle, the statement tags and command names seen most.
 */
export function countsPerUnit({ windows, idle, units }) {
  if (!windows || !units) return null;
  const figures = {};
  for (const [name, window] of Object.entries(windows)) {
    const seconds = window.ms / 1000;
    const idleOf = idle?.[name];
    const net = (system, field) => {
      const idlePerSec = idleOf ? idleOf[system][field] / (idleOf.ms / 1000) : 0;
      return Math.max(0, window[system][field] - idlePerSec * seconds);
    };
    const top = (map) =>
      Object.fromEntries(
        Object.entries(map)
          .sort(([, a], [, b]) => b - a)
          .slice(0, 8)
          .map(([key, n]) => [key, perUnit(n, units)]),
      );
    figures[name] = {
      pg: {
        ...Object.fromEntries(HEADLINE.pg.map((field) => [field, perUnit(net('pg', field), units)])),
        tags: top(window.pg.tags),
      },
      redis: {
        ...Object.fromEntries(HEADLINE.redis.map((field) => [field, perUnit(net('redis', field), units)])),
        byCommand: top(window.redis.byCommand),
      },
      idlePerSec: idleOf
        ? {
            pgRoundTrips: Number((idleOf.pg.roundTrips / (idleOf.ms / 1000)).toFixed(1)),
            redisCommands: Number((idleOf.redis.commands / (idleOf.ms / 1000)).toFixed(1)),
          }
        : null,
    };
  }
  return { units, ...figures };
}

/** How long an idle Postgres backend may hold its statistics before pg_stat_database shows them (PGSTAT_IDLE_INTERVAL, 10 s), and a second. */
const STATS_FLUSH_MS = 11_000;

/** What the servers counted: transactions in this database (pg_stat_database), script calls (INFO commandstats, server-wide). */
async function serverTotals(db, redis) {
  const [row] = (
    await db.query(
      `SELECT (xact_commit + xact_rollback)::bigint AS xacts, xact_commit::bigint AS commits FROM pg_stat_database WHERE datname = current_database()`,
    )
  ).rows;
  const stats = await redis.info('commandstats');
  const calls = (name) => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  return { pgTransactions: Number(row.xacts), redisScriptCalls: calls('evalsha') + calls('eval') };
}

/** What the counters of every process (the apps and this one) saw: the same two figures. */
function countedTotals(apps) {
  const all = [...Object.values(apps), snapshot()];
  const sum = (pick) => all.reduce((total, counts) => total + (counts ? pick(counts) : 0), 0);
  return {
    pgTransactions: sum((c) => c.pg.transactions),
    redisScriptCalls: sum((c) => (c.redis.byCommand.EVALSHA ?? 0) + (c.redis.byCommand.EVAL ?? 0)),
  };
}

/**
 * A cross-check of the counters against the servers' own statistics over a whole scenario (BENCH_COUNT_IO_CHECK=0
 * skips it; it costs twice STATS_FLUSH_MS). Every process that talks to this database must be counted: the apps
 * (preload) and the bench (installCounting). Postgres: this database only, so exact up to the statistics a busy
 * backend has not flushed yet and autovacuum's own transactions (a few dozen over a scenario). Redis: server-wide,
 * so only exact when nothing else uses the server.
 */
export async function crossCheck({ apps, counting, db, redis }) {
  if (!counting.dir || process.env.BENCH_COUNT_IO_CHECK === '0') return { skip: () => null, finish: async () => null };
  await sleep(STATS_FLUSH_MS);
  const serverBefore = await serverTotals(db, redis);
  const countedBefore = countedTotals(await countsOfApps(apps, counting));
  return {
    async finish() {
      await sleep(STATS_FLUSH_MS);
      const counted = countedTotals(await countsOfApps(apps, counting));
      const server = await serverTotals(db, redis);
      const figure = (key) => ({ counted: counted[key] - countedBefore[key], server: server[key] - serverBefore[key] });
      return { pgTransactions: figure('pgTransactions'), redisScriptCallsServerWide: figure('redisScriptCalls') };
    },
  };
}

/** One line for the Markdown table: "api: pg 4 rt / 1 commit, redis 1.2 cmd / 0.9 rt; worker: …". */
export function countsLine(counts) {
  if (!counts) return null;
  return Object.entries(counts)
    .filter(([name]) => name !== 'units')
    .map(
      ([name, c]) =>
        `${name}: pg ${c.pg.roundTrips} round trips, ${c.pg.statements} statements, ${c.pg.commits} COMMITs, ${c.pg.transactions} transactions; redis ${c.redis.commands} commands in ${c.redis.roundTrips} round trips`,
    )
    .join('; ');
}
