// npm run bench:tracing: what tracing costs. The events pipeline of `npm run bench` scenario 1
// (resend verification for existing users: a transaction, an outbox row, a job, an email) with
// the API and worker started three ways, interleaved run by run so the machine's drift hits all
// alike:
//   off  no OTLP endpoint (the default): the SDK is never loaded
//   off' the same again: the spread between off and off' is this machine's noise
//   on   exporting every span (http/protobuf) to an OTLP sink in this process that discards them
// Reports events/s per mode (median, min-max over BENCH_RUNS runs), the ratios on/off and off'/off,
// and the API's CPU per request (from /proc). Writes bench/results/tracing.json.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import {
  benchAppEnv,
  benchNodeArgs,
  closedLoop,
  createBenchDatabase,
  freePort,
  jsonPoster,
  queueDrained,
  workQueues,
  REDIS_URL,
  seedUsers,
  startApps,
  startSmtpSink,
  stats,
} from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const log = (message) => process.stderr.write(`bench:tracing: ${message}\n`);
const round = (value, digits = 3) => Number(value.toFixed(digits));
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** user + system CPU seconds of a process so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function startOtlpSink() {
  const sink = { exports: 0, bytes: 0 };
  const server = createServer((request, response) => {
    request.on('data', (chunk) => (sink.bytes += chunk.length));
    request.on('end', () => {
      sink.exports++;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${server.address().port}`;
  sink.close = () => new Promise((resolve) => server.close(resolve));
  return sink;
}

async function main() {
  const database = await createBenchDatabase('bench_tracing');
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  const smtp = await startSmtpSink();
  const otlp = await startOtlpSink();
  const prefix = `{benchtr${randomBytes(3).toString('hex')}}`;
  const emailQueue = workQueues({ url: REDIS_URL }, prefix); // account requests, then emails
  const users = await seedUsers(db, 20_000, 'bench-tracing');
  const modes = {
    off: {},
    "off'": {},
    on: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
  };
  const results = Object.fromEntries(Object.keys(modes).map((mode) => [mode, { eventsPerSec: [], apiCpuMsPerRequest: [] }]));
  let nextUser = 0;
  const drained = () => queueDrained(emailQueue, db);

  try {
    for (let run = 0; run < RUNS; run++) {
      for (const [mode, extraEnv] of Object.entries(modes)) {
        const [apiPort, workerPort] = [await freePort(), await freePort()];
        const env = {
          ...benchAppEnv({ databaseUrl: database.url, queuePrefix: prefix, smtpPort: smtp.port, apiPort, workerPort }),
          ...extraEnv,
        };
        const { api, worker } = await startApps({ env, apiPort, workerPort, nodeArgs: benchNodeArgs, cleanUp: async () => undefined });
        const post = jsonPoster(`http://127.0.0.1:${apiPort}`);
        const resend = async () => (await post('/users/verification-email', { email: users[nextUser++ % users.length].email })) === 202;
        try {
          await closedLoop(32, 2000, resend); // warm-up: JIT, pools, caches
          await drained();
          const cpuBefore = cpuSeconds(api.child.pid);
          const mailsBefore = smtp.count;
          const started = Date.now();
          const loop = await closedLoop(32, SECONDS * 1000, resend);
          await drained();
          const cpu = cpuSeconds(api.child.pid) - cpuBefore;
          const seconds = (Math.max(...smtp.arrivals.slice(mailsBefore), started + 1) - started) / 1000;
          // The slower stage: events committed by the API, or emails sent by the worker.
          const rate = Math.min((loop.completed - loop.errors) / loop.seconds, (smtp.count - mailsBefore) / seconds);
          results[mode].eventsPerSec.push(rate);
          results[mode].apiCpuMsPerRequest.push((cpu * 1000) / loop.completed);
          log(
            `run ${run + 1}/${RUNS} ${mode}: ${rate.toFixed(0)} events/s, API ${((cpu * 1000) / loop.completed).toFixed(3)} ms CPU per request`,
          );
        } finally {
          post.close();
          await Promise.all([api.stop(), worker.stop()]);
        }
      }
    }
  } finally {
    await emailQueue.obliterate({ force: true }).catch(() => undefined);
    await emailQueue.close();
    await Promise.all([db.end(), smtp.close(), otlp.close()]);
    await database.drop();
  }

  const summary = Object.fromEntries(
    Object.entries(results).map(([mode, r]) => [
      mode,
      { eventsPerSec: stats(r.eventsPerSec), apiCpuMsPerRequest: stats(r.apiCpuMsPerRequest) },
    ]),
  );
  const median = (mode, key) => summary[mode][key].median;
  const report = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    runs: RUNS,
    seconds: SECONDS,
    modes: summary,
    ratios: {
      throughputOnToOff: round(median('on', 'eventsPerSec') / median('off', 'eventsPerSec')),
      throughputOffAgainToOff: round(median("off'", 'eventsPerSec') / median('off', 'eventsPerSec')),
      apiCpuOnToOff: round(median('on', 'apiCpuMsPerRequest') / median('off', 'apiCpuMsPerRequest')),
      apiCpuOffAgainToOff: round(median("off'", 'apiCpuMsPerRequest') / median('off', 'apiCpuMsPerRequest')),
    },
    spansExported: { requests: otlp.exports, bytes: otlp.bytes },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/tracing.json', `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench:tracing failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
