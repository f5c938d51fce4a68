// npm run bench:node-versions: the bench's headline ratios and the two apps' RSS on two Node.js
// binaries in one session (issue 22: Node 20 against Node 24). Each run is bench/run.mjs whole, under
// one binary — which also runs the API and the worker it starts (process.execPath) — with its figures
// written to a file of its own (BENCH_RESULTS_FILE; latest.json is left alone). Interleaved: each
// round runs both, the first of them alternating (A B, B A, ...), so drift in what else the machine
// does falls on both alike. Prints each run, the median per binary, and newer/older; writes
// bench/results/node-versions.json with the load average before and after (a noisy machine shows).
//   BENCH_NODES        comma-separated node binaries (default: the machine's `node` and the project-local
//                      Node of scripts/use-node.sh, .tools/node-v*/bin/node)
//   BENCH_NODE_ROUNDS  rounds (2)
//   BENCH_RUNS, BENCH_SECONDS, BENCH_ONLY, BENCH_RELAY_ROWS, ...  as for npm run bench, passed through
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { stats } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_NODE_ROUNDS ?? 2);
const log = (message) => process.stderr.write(`node-versions: ${message}\n`);

/** The binaries to compare, oldest first, each with the version it reports. */
function binaries() {
  const candidates = process.env.BENCH_NODES
    ? process.env.BENCH_NODES.split(',').map((path) => resolve(path.trim()))
    : [
        // The machine's own node: the first on PATH that is not the project-local one.
        ...(process.env.PATH ?? '')
          .split(delimiter)
          .filter((dir) => dir && !dir.includes('.tools'))
          .map((dir) => join(dir, 'node'))
          .filter((path) => {
            try {
              accessSync(path, constants.X_OK);
              return true;
            } catch {
              return false;
            }
          })
          .slice(0, 1),
        ...(existsSync('.tools') ? readdirSync('.tools').filter((dir) => dir.startsWith('node-v')) : []).map((dir) =>
          resolve('.tools', dir, 'bin/node'),
        ),
      ];
  const byVersion = new Map();
  for (const path of candidates) byVersion.set(execFileSync(path, ['--version']).toString().trim(), path);
  const found = [...byVersion].map(([version, path]) => ({ version, path }));
  found.sort((a, b) => Number(a.version.slice(1).split('.')[0]) - Number(b.version.slice(1).split('.')[0]));
  if (found.length < 2)
    throw new Error(
      `need two node binaries of different versions, found ${JSON.stringify(found)}: set BENCH_NODES, or run scripts/use-node.sh once`,
    );
  return found;
}

/** One whole bench run under `node`; its results. */
async function run(node, label) {
  const file = resolve('bench/results', `node-versions-run-${label}.json`);
  const child = spawn(node.path, ['bench/run.mjs'], {
    env: { ...process.env, BENCH_RESULTS_FILE: file },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`bench/run.mjs under ${node.version} exited ${code}: no figures kept from this session`);
  const results = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  return results;
}

/** The headline figures of one run: the bench's ratios (README "Performance") and the apps' peak RSS. */
function headline(results) {
  const s = results.scenarios;
  return {
    'pipeline ratio (scenario 1)': s.eventsPipeline?.ratio,
    'worker SMTP ratio (scenario 1)': s.eventsPipeline?.smtp.ratio,
    'events committed/s (scenario 1)': s.eventsPipeline?.measured.eventsCommittedPerSec.median,
    'relay ratio (scenario 2)': s.relayCatchUp?.ratio,
    'registration ratio (scenario 3)': s.registration?.ratio,
    'registrations/s (scenario 3)': s.registration?.measured.requestsPerSec.median,
    'commit p99 ratio while pruning (scenario 5)': s.retention?.ratio,
    'API peak RSS MB': s.memory?.peakRssMb.api,
    'worker peak RSS MB': s.memory?.peakRssMb.worker,
  };
}

async function main() {
  const nodes = binaries();
  log(`comparing ${nodes.map((n) => `${n.version} (${n.path})`).join(' and ')}, ${ROUNDS} rounds`);
  mkdirSync('bench/results', { recursive: true });
  const loadBefore = os.loadavg();
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? nodes : [...nodes].reverse();
    for (const node of order) {
      log(`round ${round + 1}: ${node.version}`);
      const figures = headline(await run(node, `${round}-${node.version}`));
      runs.push({ round: round + 1, node: node.version, figures });
      log(`round ${round + 1} ${node.version}: ${JSON.stringify(figures)}`);
    }
  }
  const loadAfter = os.loadavg();
  const [older, newer] = [nodes[0], nodes.at(-1)];
  const summary = {};
  for (const name of Object.keys(runs[0].figures)) {
    const of = (node) => runs.filter((r) => r.node === node.version && typeof r.figures[name] === 'number').map((r) => r.figures[name]);
    if (of(older).length === 0 || of(newer).length === 0) continue;
    const [a, b] = [stats(of(older)), stats(of(newer))];
    summary[name] = { [older.version]: a, [newer.version]: b, newerOverOlder: Number((b.median / a.median).toFixed(3)) };
  }
  const width = Math.max(...Object.keys(summary).map((name) => name.length));
  process.stdout.write(
    `\nNode ${older.version} against ${newer.version}, ${ROUNDS} rounds, ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(1)).join('/')} before, ${loadAfter.map((l) => l.toFixed(1)).join('/')} after (1/5/15 min):\n` +
      Object.entries(summary)
        .map(
          ([name, s]) =>
            `${name.padEnd(width)}  ${older.version} ${s[older.version].median}  ${newer.version} ${s[newer.version].median}  newer/older ${s.newerOverOlder}`,
        )
        .join('\n') +
      '\n',
  );
  writeFileSync(
    'bench/results/node-versions.json',
    JSON.stringify(
      {
        at: new Date().toISOString(),
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
        settings: Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('BENCH_'))),
        nodes,
        runs,
        summary,
      },
      null,
      2,
    ),
  );
}

main().catch((error) => {
  process.stderr.write(`node-versions failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
