// npm run bench:cluster: the events pipeline of `npm run bench` scenario 1 (resend verification for
// existing users: a transaction, an outbox row, a job, an email) with the API and worker on a
// standalone Redis and on a Redis Cluster of 3 masters (REDIS_CLUSTER_NODES), both private
// redis-servers with the same settings, modes interleaved run by run so the machine's drift hits
// both alike. Reports events/s per mode (median, min-max over BENCH_RUNS runs) and cluster/standalone.
// Writes bench/results/cluster.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Cluster } from 'ioredis';
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
  seedUsers,
  startApps,
  startSmtpSink,
  stats,
} from './lib.mjs';
import { startRedisCluster, startStandaloneRedis } from './redis-servers.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const log = (message) => process.stderr.write(`bench:cluster: ${message}\n`);

async function main() {
  const database = await createBenchDatabase('bench_cluster');
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  const smtp = await startSmtpSink();
  const prefix = `{benchcl${randomBytes(3).toString('hex')}}`;
  const modes = {};
  const servers = [];
  const results = { standalone: [], cluster: [] };
  try {
    const standalone = await startStandaloneRedis();
    servers.push(standalone);
    const cluster = await startRedisCluster(3);
    servers.push(cluster);
    const clusterAddresses = cluster.nodes.map((node) => ({ host: new URL(node).hostname, port: Number(new URL(node).port) }));
    modes.standalone = {
      env: { REDIS_URL: standalone.url },
      queue: workQueues({ url: standalone.url }, prefix),
    };
    modes.cluster = {
      env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') },
      queue: workQueues(new Cluster(clusterAddresses), prefix),
    };
    const users = await seedUsers(db, 20_000, 'bench-cluster');
    let nextUser = 0;

    for (let run = 0; run < RUNS; run++) {
      for (const [mode, { env: redisEnv, queue }] of Object.entries(modes)) {
        const [apiPort, workerPort] = [await freePort(), await freePort()];
        const env = {
          ...benchAppEnv({ databaseUrl: database.url, queuePrefix: prefix, smtpPort: smtp.port, apiPort, workerPort }),
          ...redisEnv,
        };
        const { api, worker } = await startApps({ env, apiPort, workerPort, nodeArgs: benchNodeArgs, cleanUp: async () => undefined });
        const post = jsonPoster(`http://127.0.0.1:${apiPort}`);
        const resend = async () => (await post('/users/verification-email', { email: users[nextUser++ % users.length].email })) === 202;
        try {
          await closedLoop(32, 2000, resend); // warm-up: JIT, pools, caches
          await queueDrained(queue, db);
          const mailsBefore = smtp.count;
          const started = Date.now();
          const loop = await closedLoop(32, SECONDS * 1000, resend);
          await queueDrained(queue, db);
          const seconds = (Math.max(...smtp.arrivals.slice(mailsBefore), started + 1) - started) / 1000;
          // The slower stage: events committed by the API, or emails sent by the worker.
          const rate = Math.min((loop.completed - loop.errors) / loop.seconds, (smtp.count - mailsBefore) / seconds);
          results[mode].push(rate);
          log(`run ${run + 1}/${RUNS} ${mode}: ${rate.toFixed(0)} events/s (${loop.errors} errors)`);
        } finally {
          post.close();
          await Promise.all([api.stop(), worker.stop()]);
        }
      }
    }
  } finally {
    await Promise.all(Object.values(modes).map(({ queue }) => queue.close().catch(() => undefined)));
    await Promise.all([db.end(), smtp.close(), ...servers.map((server) => server.stop())]);
    await database.drop();
  }

  const summary = Object.fromEntries(Object.entries(results).map(([mode, rates]) => [mode, { eventsPerSec: stats(rates) }]));
  const report = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    runs: RUNS,
    seconds: SECONDS,
    modes: summary,
    ratios: { clusterToStandalone: Number((summary.cluster.eventsPerSec.median / summary.standalone.eventsPerSec.median).toFixed(3)) },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/cluster.json', `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench:cluster failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
