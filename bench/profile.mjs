// npm run bench:profile [-- registration] [--cpu-only]: runs the API and worker (built) with
// --cpu-prof under the scenario-1 load (resend verification, c=32) or the scenario-3 load
// (registration, c=32), then prints the CPU each process used (API, worker, Postgres, Redis, load
// generator; per request too) and where the apps' time went: self time by package and by
// function. The raw .cpuprofile files stay in bench/results/profiles/ (open them in Chrome
// DevTools or speedscope). --cpu-only skips the profiler (its overhead) and prints the CPU split.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  benchAppEnv,
  benchNodeArgs,
  closedLoop,
  cpuByRole,
  createBenchDatabase,
  deleteRedisKeys,
  freePort,
  httpAdapter,
  jsonPoster,
  startApps,
  startSmtpSink,
} from './lib.mjs';

const CPU_ONLY = process.argv.includes('--cpu-only');
const SCENARIO = process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 'pipeline';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const OUT = 'bench/results/profiles';
const log = (message) => process.stderr.write(`profile: ${message}\n`);

if (!['pipeline', 'registration'].includes(SCENARIO)) {
  process.stderr.write(`profile: unknown scenario "${SCENARIO}" (pipeline | registration)\n`);
  process.exit(2);
}

/** Self time per function and per package from a V8 .cpuprofile. */
function summarise(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const packages = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url.includes('node_modules/')
      ? url
          .slice(url.lastIndexOf('node_modules/') + 13)
          .split('/')
          .slice(0, url.includes('node_modules/@') ? 2 : 1)
          .join('/')
      : url.includes('/dist/')
        ? 'herald'
        : url === ''
          ? `(${functionName || 'program'})`
          : url.startsWith('node:')
            ? url
            : 'other';
    packages.set(where, (packages.get(where) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`)
      .join('\n');
  return `${(total / 1e6).toFixed(1)} s of samples\n by package:\n${top(packages, 15)}\n by function:\n${top(fns, 25)}`;
}

async function main() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const database = await createBenchDatabase('profile');
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  const smtp = await startSmtpSink();
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const queuePrefix = `{profile${randomBytes(3).toString('hex')}}`;
  const env = benchAppEnv({
    databaseUrl: database.url,
    queuePrefix,
    smtpPort: smtp.port,
    apiPort,
    workerPort,
  });
  const profiled = (name) => [...benchNodeArgs(), ...(CPU_ONLY ? [] : ['--cpu-prof', `--cpu-prof-dir=${OUT}/${name}`])];
  const { api, worker } = await startApps({
    env,
    apiPort,
    workerPort,
    nodeArgs: profiled,
    cleanUp: () => Promise.all([db.end(), smtp.close(), database.drop()]),
  });
  const poster = jsonPoster(`http://127.0.0.1:${apiPort}`);
  const post = async (route, body) => (await poster(route, body)) === 202;
  const roles = new Map([
    [api.child.pid, 'api'],
    [worker.child.pid, 'worker'],
    [process.pid, 'load generator'],
  ]);
  const cpuBefore = cpuByRole(roles);
  const wallStarted = Date.now();
  try {
    let loop;
    if (SCENARIO === 'pipeline') {
      const emails = Array.from({ length: 20_000 }, (_, i) => `profile-${i}@example.com`);
      await db.query(`INSERT INTO users (id, email, password_hash) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])`, [
        emails.map(() => uuidv7()),
        emails,
        emails.map(() => 'x'),
      ]);
      loop = await closedLoop(32, SECONDS * 1000, (i) => post('/users/verification-email', { email: emails[i % emails.length] }));
    } else {
      loop = await closedLoop(32, SECONDS * 1000, (i) =>
        post('/users', { email: `p-${i}@example.com`, password: 'a long and lovely passphrase' }),
      );
    }
    log(
      `${SCENARIO} (API on ${httpAdapter()}): ${(loop.completed - loop.errors) / loop.seconds} ok/s over ${SECONDS} s, ${smtp.count} mails, ${loop.errors} errors`,
    );
    const cpuAfter = cpuByRole(roles);
    const wall = (Date.now() - wallStarted) / 1000;
    const share = [...cpuAfter]
      .map(([role, seconds]) => [role, seconds - (cpuBefore.get(role) ?? 0)])
      .sort((a, b) => b[1] - a[1])
      .map(
        ([role, seconds]) =>
          `${role} ${seconds.toFixed(1)} s (${((seconds / wall) * 100).toFixed(0)}% of a core, ${((seconds * 1000) / Math.max(1, loop.completed)).toFixed(2)} ms per request)`,
      );
    log(`peak RSS: api ${api.peakRssMb.toFixed(0)} MB, worker ${worker.peakRssMb.toFixed(0)} MB`);
    log(`CPU over ${wall.toFixed(1)} s wall on ${os.cpus().length} cores: ${share.join(', ')}`);
  } finally {
    poster.close();
    await api.stop();
    await worker.stop();
    await db.end();
    await smtp.close();
    await database.drop();
    await deleteRedisKeys(queuePrefix);
  }
  if (CPU_ONLY) return;
  for (const name of ['api', 'worker']) {
    const dir = path.join(OUT, name);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      process.stdout.write(`\n== ${name} (${path.join(dir, file)}): ${summarise(path.join(dir, file))}\n`);
    }
  }
}

main().catch((error) => {
  process.stderr.write(`profile failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
