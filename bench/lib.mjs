// Small helpers for the benchmark harness (plain ESM: it runs without a build step of its own).
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { NODE_OPTIONS_BY_APP } from '../scripts/runtime-defaults.mjs';
import { v7 as uuidv7 } from 'uuid';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';

export const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A migrated database of the run's own (`label` + epoch seconds), with drop(). */
export async function createBenchDatabase(label) {
  const name = `herald_${label}_${Math.floor(Date.now() / 1000)}`;
  const url = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
  await adminQuery(`CREATE DATABASE "${name}"`);
  runCli(['migration:run'], { DATABASE_URL: url });
  return { name, url, drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * The apps' environment for a benchmark: its database, queue prefix, SMTP sink and ports, the
 * app's own rate limits off (the load comes from one client), room for 32 concurrent requests,
 * plus BENCH_APP_ENV (JSON) for experiments.
 */
export function benchAppEnv({ databaseUrl, queuePrefix, smtpPort, apiPort, workerPort }) {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    PORT: String(apiPort),
    WORKER_PORT: String(workerPort),
    RATE_LIMIT_ENABLED: 'false',
    DATABASE_POOL_SIZE: '30',
    WORKER_CONCURRENCY: '20',
    ...JSON.parse(process.env.BENCH_APP_ENV ?? '{}'),
  };
}

/**
 * A helper process of the bench (a floor: bench/*-floor.mjs) started with `env` (PATH added); resolves
 * once a line of its stdout matches `ready`, with that match, the child, and `stop` (SIGTERM, then its exit).
 */
export async function startHelper(script, env, ready) {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const match = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const found = ready.exec(line);
      if (found) resolve(found);
    });
  });
  return {
    child,
    match,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** BENCH_NODE_ARGS: extra node flags for both apps, for experiments (e.g. heap sizes). */
export const benchNodeArgs = () => (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    runs: sorted.length,
    median: pick(0.5),
    min: sorted[0],
    max: sorted.at(-1),
    spreadPct: sorted.length > 1 ? ((sorted.at(-1) - sorted[0]) / pick(0.5)) * 100 : 0,
  };
}

export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
  return { count: sorted.length, p50: pick(0.5), p95: pick(0.95), p99: pick(0.99) };
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(what, check, timeoutMs = 60_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => false);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resident memory of a process in MB (Linux /proc). */
export function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by each process of interest (Linux /proc), grouped by role. */
export function cpuByRole(roles) {
  const ticks = new Map();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const role = roles.get(Number(pid)) ?? (comm.startsWith('postgres') ? 'postgres' : comm.startsWith('redis-server') ? 'redis' : null);
    if (!role) continue;
    ticks.set(role, (ticks.get(role) ?? 0) + Number(fields[11]) + Number(fields[12]));
  }
  return new Map([...ticks].map(([role, t]) => [role, t / 100]));
}

/** A built app as a child process; tracks its peak RSS. */
export class App {
  constructor(name, env, healthUrl, nodeArgs = [], entry = `dist/apps/${name}/apps/${name}/src/main.js`) {
    this.name = name;
    this.entry = entry;
    this.nodeArgs = nodeArgs;
    this.env = env;
    this.healthUrl = healthUrl;
    this.peakRssMb = 0;
    this.output = [];
  }
  async start() {
    this.child = spawn(process.execPath, [...this.nodeArgs, this.entry], {
      env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'warn', NODE_OPTIONS: NODE_OPTIONS_BY_APP[this.name], ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) stream.on('data', (chunk) => this.output.push(String(chunk)));
    this.sampler = setInterval(() => (this.peakRssMb = Math.max(this.peakRssMb, rssMb(this.child.pid))), 100);
    await waitFor(`${this.name} ready`, async () => (await fetch(this.healthUrl)).status === 200, 60_000, 100).catch((error) => {
      throw new Error(`${error.message}\n${this.output.join('').slice(-2000)}`);
    });
    return this;
  }
  async stop() {
    clearInterval(this.sampler);
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}

/**
 * BENCH_HTTP_ADAPTER: which HTTP stack the API runs on: `express` (the API's own main.js, default) or
 * `fastify` (bench/http-adapter/fastify-api.mjs: the same app on Nest's Fastify adapter, for the A/B).
 */
export function httpAdapter() {
  const adapter = process.env.BENCH_HTTP_ADAPTER ?? 'express';
  if (!(adapter in API_ENTRY))
    throw new Error(`bench: BENCH_HTTP_ADAPTER must be ${Object.keys(API_ENTRY).join(' or ')}, not "${adapter}"`);
  return adapter;
}
const API_ENTRY = { express: 'dist/apps/api/apps/api/src/main.js', fastify: 'bench/http-adapter/fastify-api.mjs' };

/**
 * Starts the worker, then the API (both built; the API on `adapter`, see httpAdapter()), on the given ports. If either fails to start,
 * stops what did start and runs `cleanUp` (the caller's database, pool, sink) before rethrowing.
 */
export async function startApps({ env, apiPort, workerPort, nodeArgs = () => [], cleanUp, adapter = httpAdapter() }) {
  const worker = new App('worker', env, `http://127.0.0.1:${workerPort}/health/ready`, nodeArgs('worker'));
  const api = new App('api', env, `http://127.0.0.1:${apiPort}/health/ready`, nodeArgs('api'), API_ENTRY[adapter]);
  try {
    await worker.start();
    await api.start();
  } catch (error) {
    await Promise.all([api.stop(), worker.stop()]);
    await cleanUp();
    throw error;
  }
  return { api, worker };
}

/** An SMTP server that accepts and counts mail (and notes when each arrived). */
export async function startSmtpSink() {
  const sink = { count: 0, arrivals: [] };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        sink.count++;
        sink.arrivals.push(Date.now());
        callback();
      });
    },
  });
  // A client reset mid-transaction is re-emitted on the server; count it instead of crashing the bench.
  sink.connectionErrors = 0;
  server.on('error', () => sink.connectionErrors++);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = server.server.address().port;
  sink.close = () => new Promise((resolve) => server.close(resolve));
  return sink;
}

export function runCli(args, env) {
  return execFileSync(process.execPath, ['dist/apps/cli/apps/cli/src/main.js', ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'pipe',
  }).toString();
}

/**
 * POSTs JSON over keep-alive connections and resolves with the status code. The load generator
 * shares the machine with what it measures, so it must be cheap: node:http costs about a tenth
 * of the CPU per request that fetch() does here (measured: 0.04 ms vs 0.37 ms).
 */
export function jsonPoster(baseUrl, maxSockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(baseUrl);
  const post = (path, body) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const request = http.request(
        {
          host: hostname,
          port,
          path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode));
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  post.close = () => agent.destroy();
  return post;
}

/** Closed loop: `concurrency` clients call `request` back to back for `durationMs`. */
export async function closedLoop(concurrency, durationMs, request) {
  const latencies = [];
  let errors = 0;
  const end = Date.now() + durationMs;
  let index = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        const ok = await request(index++).catch(() => false);
        latencies.push(performance.now() - started);
        if (!ok) errors++;
      }
    }),
  );
  return { completed: latencies.length, errors, latencies, seconds: durationMs / 1000 };
}

/** Open loop: starts requests at a fixed rate for `durationMs` (no coordinated omission). */
export async function openLoop(ratePerSecond, durationMs, request) {
  const latencies = [];
  let errors = 0;
  const pending = [];
  const started = Date.now();
  for (let i = 0; Date.now() - started < durationMs; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const t0 = performance.now();
    pending.push(
      request(i)
        .catch(() => false)
        .then((ok) => {
          latencies.push(performance.now() - t0);
          if (!ok) errors++;
        }),
    );
  }
  await Promise.all(pending);
  return { completed: latencies.length, errors, latencies, seconds: durationMs / 1000 };
}

/** `count` existing, unverified users (`<emailPrefix>-<i>@example.com`), inserted in batches. */
export async function seedUsers(db, count, emailPrefix) {
  const users = Array.from({ length: count }, (_, i) => ({ id: uuidv7(), email: `${emailPrefix}-${i}@example.com` }));
  for (let i = 0; i < users.length; i += 5000) {
    const batch = users.slice(i, i + 5000);
    await db.query(`INSERT INTO users (id, email, password_hash) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])`, [
      batch.map((u) => u.id),
      batch.map((u) => u.email),
      batch.map(() => 'x'),
    ]);
  }
  return users;
}

/**
 * Resolves when a BullMQ queue (or a workQueues() group) has nothing waiting, active or delayed. Given
 * `db`, also no outbox row pending, and the queues are read again after it: a job that just completed
 * (an account request resolved) may have committed events whose jobs are being queued right then.
 */
export function queueDrained(queue, db) {
  const empty = async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
    return counts.waiting + counts.active + counts.delayed === 0;
  };
  return waitFor(
    `the ${queue.name} queue to drain`,
    async () => {
      if (!(await empty())) return false;
      if (!db) return true;
      if ((await db.query(`SELECT 1 FROM outbox WHERE status = 'pending' LIMIT 1`)).rows.length > 0) return false;
      return empty();
    },
    300_000,
    100,
  );
}

/**
 * The queues of the work a request to herald causes, steered as one: the users context's `accounts`
 * (register, resend and reset are resolved there, off the request path), then `email`. What a bench
 * pauses "so that mails do not compete for the cores" must pause both. Quacks like a Queue for
 * pause/resume/obliterate/close/getJobCounts (and so for queueDrained).
 */
export function workQueues(connection, prefix) {
  const queues = ['accounts', 'email'].map((name) => new Queue(name, { connection, prefix }));
  const all = (method, ...args) => Promise.all(queues.map((queue) => queue[method](...args)));
  return {
    name: 'accounts and email',
    queues,
    pause: () => all('pause'),
    resume: () => all('resume'),
    obliterate: (options) => all('obliterate', options),
    close: () => all('close'),
    async getJobCounts(...states) {
      const totals = Object.fromEntries(states.map((state) => [state, 0]));
      for (const counts of await all('getJobCounts', ...states)) for (const state of states) totals[state] += counts[state] ?? 0;
      return totals;
    },
  };
}

/** Removes every Redis key of a bench run's queue prefix (SCAN, so a large keyspace is not blocked). */
export async function deleteRedisKeys(prefix) {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
