// npm run bench:resend: the worker's email jobs through the Resend transport (MAIL_TRANSPORT=resend, every
// send with its Idempotency-Key) against the Resend emulator (emulate 0.12.2, in process), next to the
// baseline measured in the same run: the official SDK's raw sends to the same emulator, with the same
// number in flight as the worker runs jobs (WORKER_CONCURRENCY, 20) and an idempotency key each.
// Each run seeds BENCH_RESEND_COUNT (2000) users with a welcome-email job each, in a paused queue, then
// resumes it and times the queue until every job completed; then times the raw sends of as many mails.
// Prints each run, the medians and worker/raw: the ratio of the medians. Writes bench/results/resend-transport.json
// and scenarios.resendTransport of bench/results/latest.json.
// BENCH_RUNS (3) runs. A tiny count (BENCH_RESEND_COUNT=5 BENCH_RUNS=1) checks that it starts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Queue } from 'bullmq';
import { createEmulator } from 'emulate';
import pg from 'pg';
import { Resend } from 'resend';
import { v7 as uuidv7 } from 'uuid';
import { App, REDIS_URL, benchAppEnv, createBenchDatabase, deleteRedisKeys, freePort, seedUsers, stats, waitFor } from './lib.mjs';

const COUNT = Number(process.env.BENCH_RESEND_COUNT ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IN_FLIGHT = 20;
const log = (message) => process.stderr.write(`bench:resend: ${message}\n`);
const round = (value, digits = 1) => Number(value.toFixed(digits));

/** The official SDK, the way its docs show a send, `IN_FLIGHT` at a time: the baseline. */
async function rawSends(baseUrl, run) {
  // A key per run and side: the emulator allows 5,000 requests per key and hour, as Resend's API does per team.
  const resend = new Resend(`re_bench_raw_${run}`, { baseUrl });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < COUNT) {
        const i = next++;
        const { error } = await resend.emails.send(
          {
            from: 'herald <no-reply@herald.local>',
            to: [`raw-${run}-${i}@example.com`],
            subject: 'Welcome',
            text: 'Welcome to herald.',
            html: '<p>Welcome to herald.</p>',
          },
          { idempotencyKey: `bench.raw.${run}.${i}` },
        );
        if (error) throw new Error(`raw send ${i} of run ${run} answered ${JSON.stringify(error)}`);
      }
    }),
  );
  return COUNT / ((performance.now() - started) / 1000);
}

/** The worker's welcome-email jobs through the Resend transport, from a resumed queue to the last one completed. */
async function workerJobs(emulatorUrl, run) {
  const prefix = `{benchresend${randomBytes(3).toString('hex')}}`;
  const database = await createBenchDatabase(`resend${run}`);
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  const queue = new Queue('email', { connection: { url: REDIS_URL }, prefix });
  const workerPort = await freePort();
  const env = {
    ...benchAppEnv({ databaseUrl: database.url, queuePrefix: prefix, smtpPort: 1, apiPort: await freePort(), workerPort }),
    MAIL_TRANSPORT: 'resend',
    RESEND_API_KEY: `re_bench_worker_${run}`,
    RESEND_BASE_URL: emulatorUrl,
    WORKER_CONCURRENCY: String(IN_FLIGHT),
  };
  const worker = new App('worker', env, `http://127.0.0.1:${workerPort}/health/ready`);
  try {
    const users = await seedUsers(db, COUNT, `resend-${run}`);
    await queue.pause();
    for (let i = 0; i < users.length; i += 1000) {
      await queue.addBulk(
        users.slice(i, i + 1000).map((user) => {
          const eventId = uuidv7();
          return {
            name: 'send-welcome-email',
            data: { eventId, userId: user.id, correlationId: 'bench-resend' },
            opts: { jobId: `bench.${eventId}`, removeOnComplete: { age: 3600 } },
          };
        }),
      );
    }
    await worker.start();
    const started = performance.now();
    await queue.resume();
    let counts = { completed: 0, failed: 0 };
    await waitFor(
      `${COUNT} email jobs finished`,
      async () => {
        counts = await queue.getJobCounts('completed', 'failed');
        return counts.completed + counts.failed === COUNT;
      },
      600_000,
      50,
    );
    const seconds = (performance.now() - started) / 1000;
    if (counts.failed > 0) throw new Error(`${counts.failed} email jobs failed:\n${worker.output.join('').slice(-2000)}`);
    return COUNT / seconds;
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await db.end();
    await database.drop();
    await deleteRedisKeys(prefix);
  }
}

async function main() {
  const worker = [];
  const raw = [];
  // A fresh emulator for each measurement: it keeps every email it accepted in memory and looks keys up among them,
  // so a store that grows from run to run would slow whichever side comes later.
  const onFreshEmulator = async (measure) => {
    const port = await freePort();
    const emulator = await createEmulator({ service: 'resend', port });
    try {
      return await measure(`http://127.0.0.1:${port}`);
    } finally {
      await emulator.close();
    }
  };
  for (let run = 1; run <= RUNS; run++) {
    // Alternating which goes first, so drift in what else the machine does falls on both alike.
    const order = run % 2 === 1 ? ['worker', 'raw'] : ['raw', 'worker'];
    for (const which of order) {
      if (which === 'worker') worker.push(await onFreshEmulator((url) => workerJobs(url, run)));
      else raw.push(await onFreshEmulator((url) => rawSends(url, run)));
    }
    log(`run ${run}: worker ${round(worker.at(-1))} jobs/s, raw SDK ${round(raw.at(-1))} sends/s`);
  }
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
    count: COUNT,
    runs: RUNS,
    inFlight: IN_FLIGHT,
    workerEmailJobsPerSec: stats(worker),
    rawSdkSendsPerSec: stats(raw),
    ratio: round(stats(worker).median / stats(raw).median, 3),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/resend-transport.json', `${JSON.stringify(result, null, 2)}\n`);
  // Also kept with the other scenarios' figures (committed): scenarios.resendTransport of latest.json.
  const latestPath = 'bench/results/latest.json';
  const latest = existsSync(latestPath) ? JSON.parse(readFileSync(latestPath, 'utf8')) : { scenarios: {} };
  latest.scenarios = { ...latest.scenarios, resendTransport: result };
  writeFileSync(latestPath, `${JSON.stringify(latest, null, 2)}\n`);
  log(`worker/raw = ${result.ratio} (medians ${round(result.workerEmailJobsPerSec.median)} / ${round(result.rawSdkSendsPerSec.median)})`);
}

main().catch((error) => {
  process.stderr.write(`bench:resend: ${error.stack ?? error}\n`);
  process.exit(1);
});
