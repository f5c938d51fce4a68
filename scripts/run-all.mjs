// Runs the built API and worker side by side (or the apps named as arguments:
// `node scripts/run-all.mjs api`), prefixes their output when there are
// several, and stops all (SIGTERM, so active jobs finish) when one exits or on
// SIGTERM/SIGINT. Each app gets its flags from runtime-defaults.mjs unless
// NODE_OPTIONS is set, and readable logs when the launcher runs on a terminal
// (LOG_FORMAT, decided by logFormatFor: the apps only see a pipe).
//
// Signals: every app runs in a process group of its own (`detached`), so a
// signal sent to the launcher's whole group — systemd, a supervisor, Ctrl-C in
// a terminal — reaches only the launcher, which sends each app SIGTERM exactly
// once; further signals (npm forwards what it gets, too) are absorbed. Each app
// also holds an IPC channel to the launcher and stops on its own when that
// closes, so no app outlives a launcher that died, even by SIGKILL.
//
// Exit status: the apps'. 0 when every app exited 0; otherwise the first
// failure — its exit code, or 128 + the signal number when it died by a
// signal. When an app exits on its own, the others are stopped and its status
// is the launcher's.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { logFormatFor, nodeOptionsFor } from './runtime-defaults.mjs';

const entries = {
  api: 'dist/apps/api/apps/api/src/main.js',
  worker: 'dist/apps/worker/apps/worker/src/main.js',
};
const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in entries));
if (unknown.length > 0) {
  console.error(`run-all: unknown app(s) ${unknown.join(', ')}; known: ${Object.keys(entries).join(', ')}`);
  process.exit(2);
}
const apps = Object.fromEntries(Object.entries(entries).filter(([name]) => names.length === 0 || names.includes(name)));
const prefixed = Object.keys(apps).length > 1;
// The launcher's own lines go to stderr: stdout carries the apps' logs.
const say = (message) => process.stderr.write(`[run-all] ${message}\n`);

const running = new Map();
let stopping = false;
let repeatLogged = false;
let status = 0;

function stopAll(why) {
  if (stopping) {
    if (!repeatLogged) say(`already stopping; ${why} ignored`);
    repeatLogged = true;
    return;
  }
  stopping = true;
  say(`stopping ${[...running.keys()].join(', ') || 'nothing'} (${why})`);
  for (const child of running.values()) child.kill('SIGTERM');
}

// Listen before the apps start: a signal must never meet Node's default action here either.
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

/** Copies an app's stream line by line, prefixed with its name when several apps share the output. */
function relay(name, from, to) {
  let rest = '';
  from.setEncoding('utf8');
  from.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) to.write(prefixed ? `[${name}] ${line}\n` : `${line}\n`);
  });
  from.on('end', () => rest && to.write(prefixed ? `[${name}] ${rest}\n` : `${rest}\n`));
}

function exited(name, code, signal) {
  running.delete(name);
  say(`${name} exited (${signal ?? code})`);
  if (status === 0) status = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1);
  if (!stopping) stopAll(`${name} exited`);
  if (running.size === 0) process.exitCode = status;
}

for (const [name, entry] of Object.entries(apps)) {
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: nodeOptionsFor(name), LOG_FORMAT: logFormatFor() },
  });
  relay(name, child.stdout, process.stdout);
  relay(name, child.stderr, process.stderr);
  child.on('exit', (code, signal) => exited(name, code, signal));
  child.on('error', (error) => {
    say(`${name}: ${error.message}`);
    if (child.pid === undefined) exited(name, 1, null); // never started: no 'exit' will come
  });
  if (child.pid !== undefined) say(`${name} started (pid ${child.pid})`);
  running.set(name, child);
}
