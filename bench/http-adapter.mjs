// npm run bench:http-adapter: the A/B of the API's HTTP stack (issue 12 §2), Express (the API's
// main.js) against Nest's Fastify adapter (bench/http-adapter/fastify-api.mjs, the same app).
// Interleaved on one machine: each round runs both, the first of them alternating (E F, F E, E F ...),
// so drift in what else the machine does falls on both alike. Each run starts the worker and the API
// on a fresh database and measures, after a warm-up, under the loads of bench:profile:
//   - scenario 1 load (resend verification for existing users, c=32): requests/s and API CPU per request;
//   - scenario 3 load (registration, Argon2id, c=32): requests/s and API CPU per request.
// CPU is read from /proc, as bench:profile --cpu-only does (no profiler). Prints each run, the median
// and range per adapter, and fastify/express: the ratio of the medians and the range of the ratios
// within a round. In the first round each also answers a few probes (good and bad requests); the
// answers that differ are printed. Writes bench/results/http-adapter.json.
// BENCH_AB_ROUNDS (3) rounds, BENCH_SECONDS (8) per measurement.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import {
  REDIS_URL,
  benchAppEnv,
  benchNodeArgs,
  closedLoop,
  cpuByRole,
  createBenchDatabase,
  deleteRedisKeys,
  freePort,
  jsonPoster,
  queueDrained,
  workQueues,
  seedUsers,
  stats,
  startApps,
  startSmtpSink,
} from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ADAPTERS = ['express', 'fastify'];
const log = (message) => process.stderr.write(`http-adapter: ${message}\n`);

// The answers compared between the two (status, content type, problem code, the headers our code sets;
// not ETag: Express gives every body one, Fastify none).
const PROBES = [
  ['POST', '/users', 'application/json', JSON.stringify({ email: 'probe@example.com', password: 'a long and lovely passphrase' })],
  ['POST', '/users', 'application/json', '{"email":'],
  ['POST', '/users', 'application/json', JSON.stringify({ email: 'not an address', extra: true })],
  ['POST', '/users', 'application/json', JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(200_000) })],
  ['POST', '/users', 'text/plain', 'hello'],
  ['POST', '/users', 'application/xml', '<user/>'],
  ['POST', '/users/verification-email', 'application/json', JSON.stringify({ email: 'probe@example.com' })],
  ['GET', '/users/me', null, null],
  ['GET', '/no-such-route', null, null],
  ['GET', '/health/ready', null, null],
];

async function probe(baseUrl) {
  const answers = [];
  for (const [method, path, type, body] of PROBES) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-request-id': 'probe-request-0001', ...(type ? { 'content-type': type } : {}) },
      body,
    });
    const text = await response.text();
    const code = response.headers.get('content-type')?.includes('json') ? (JSON.parse(text).code ?? '-') : '-';
    const headers = ['x-request-id', 'content-security-policy', 'x-content-type-options', 'x-powered-by']
      .map((name) => `${name}:${response.headers.get(name) === null ? 'no' : 'yes'}`)
      .join(' ');
    answers.push({
      request: `${method} ${path} (${type ?? 'no body'})`,
      answer: `${response.status} ${response.headers.get('content-type')} ${code} ${headers}`,
    });
  }
  return answers;
}

/** One run: both loads against the API on `adapter` (and the probes, when asked). */
async function run(adapter, label, withProbes) {
  const database = await createBenchDatabase(`ab${label}`);
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  const smtp = await startSmtpSink();
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const prefix = `{ab${randomBytes(3).toString('hex')}}`;
  const env = benchAppEnv({ databaseUrl: database.url, queuePrefix: prefix, smtpPort: smtp.port, apiPort, workerPort });
  const cleanUp = () => Promise.all([db.end(), smtp.close(), database.drop()]);
  const { api, worker } = await startApps({ env, apiPort, workerPort, nodeArgs: benchNodeArgs, cleanUp, adapter });
  const poster = jsonPoster(`http://127.0.0.1:${apiPort}`);
  const emailQueue = workQueues({ url: REDIS_URL }, prefix); // account requests, then emails
  const roles = new Map([
    [api.child.pid, 'api'],
    [worker.child.pid, 'worker'],
    [process.pid, 'load generator'],
  ]);
  /** Requests/s that got their 202, and CPU ms per request of each process. */
  const measure = async (request) => {
    const before = cpuByRole(roles);
    const loop = await closedLoop(32, SECONDS * 1000, request);
    const after = cpuByRole(roles);
    const cpuMsPerRequest = Object.fromEntries(
      [...after].map(([role, seconds]) => [role, ((seconds - (before.get(role) ?? 0)) * 1000) / Math.max(1, loop.completed)]),
    );
    return { okPerSec: (loop.completed - loop.errors) / loop.seconds, errors: loop.errors, cpuMsPerRequest };
  };
  try {
    const answers = withProbes ? await probe(`http://127.0.0.1:${apiPort}`) : undefined;
    const users = await seedUsers(db, 20_000, 'ab');
    let next = 0;
    const resend = async () => (await poster('/users/verification-email', { email: users[next++ % users.length].email })) === 202;
    const register = async (i) =>
      (await poster('/users', { email: `ab-new-${label}-${i}@example.com`, password: 'a long and lovely passphrase' })) === 202;
    await closedLoop(32, 3000, resend); // warm-up (not counted): JIT, pools, caches
    await queueDrained(emailQueue, db);
    const pipeline = await measure(resend);
    await queueDrained(emailQueue, db); // the worker's backlog would take the cores from the next load
    await closedLoop(32, 2000, (i) => register(1_000_000 + i)); // warm-up of the registration path
    await queueDrained(emailQueue, db);
    const registration = await measure(register);
    return {
      adapter,
      answers,
      pipeline,
      registration,
      peakRssMb: { api: Math.round(api.peakRssMb), worker: Math.round(worker.peakRssMb) },
    };
  } finally {
    poster.close();
    await emailQueue.close();
    await api.stop();
    await worker.stop();
    await cleanUp();
    await deleteRedisKeys(prefix);
  }
}

const fmt = (value, digits = 2) => value.toFixed(digits);
const describe = (values, digits = 2) => {
  const s = stats(values);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)}, spread ${fmt(s.spreadPct, 0)}%)`;
};

async function main() {
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ADAPTERS : [...ADAPTERS].reverse();
    for (const adapter of order) {
      const result = { round: round + 1, ...(await run(adapter, `${round}${adapter[0]}`, round === 0)) };
      runs.push(result);
      const { pipeline: p, registration: r } = result;
      log(
        `round ${round + 1} ${adapter.padEnd(7)}: scenario 1 ${fmt(p.okPerSec, 1)} req/s, API ${fmt(p.cpuMsPerRequest.api)} ms CPU/req` +
          ` (${p.errors} errors); scenario 3 ${fmt(r.okPerSec, 1)} req/s, API ${fmt(r.cpuMsPerRequest.api)} ms CPU/req (${r.errors} errors);` +
          ` peak RSS API ${result.peakRssMb.api} MB`,
      );
    }
  }
  const metrics = {
    'scenario 1 API CPU ms/req': (run) => run.pipeline.cpuMsPerRequest.api,
    'scenario 1 req/s': (run) => run.pipeline.okPerSec,
    'scenario 3 API CPU ms/req': (run) => run.registration.cpuMsPerRequest.api,
    'scenario 3 req/s': (run) => run.registration.okPerSec,
    'peak RSS API MB': (run) => run.peakRssMb.api,
  };
  const summary = {};
  const lines = [];
  for (const [name, pick] of Object.entries(metrics)) {
    const of = (adapter) => runs.filter((run) => run.adapter === adapter).map(pick);
    const [express, fastify] = ADAPTERS.map(of);
    // Paired within a round: the two runs that were closest in time.
    const paired = express.map((value, i) => fastify[i] / value);
    const ratio = stats(fastify).median / stats(express).median;
    summary[name] = { express: stats(express), fastify: stats(fastify), ratio, pairedRatios: paired };
    lines.push(
      `${name.padEnd(26)} express ${describe(express)}  fastify ${describe(fastify)}  fastify/express ${fmt(ratio, 3)}` +
        ` (per round ${paired.map((value) => fmt(value, 3)).join(', ')})`,
    );
  }
  const [expressAnswers, fastifyAnswers] = ADAPTERS.map((adapter) => runs.find((run) => run.adapter === adapter && run.answers).answers);
  const differences = expressAnswers
    .map(({ request, answer }, i) => ({ request, express: answer, fastify: fastifyAnswers[i].answer }))
    .filter((probe) => probe.express !== probe.fastify);
  process.stdout.write(
    `\nAnswers that differ (of ${PROBES.length} probes): ${differences.length === 0 ? 'none' : ''}\n` +
      differences.map((d) => `  ${d.request}\n    express: ${d.express}\n    fastify: ${d.fastify}\n`).join(''),
  );
  process.stdout.write(
    `\nAPI on Express vs Fastify, ${ROUNDS} rounds, ${SECONDS} s per load, ${os.cpus().length} cores:\n${lines.join('\n')}\n`,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/http-adapter.json',
    JSON.stringify(
      { machine: { cpus: os.cpus().length, node: process.version }, rounds: ROUNDS, seconds: SECONDS, differences, runs, summary },
      null,
      2,
    ),
  );
}

main().catch((error) => {
  process.stderr.write(`http-adapter failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
