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
// closes, so no app outlives a launcher that died, even by SIGKILL (and a
// watchdog thread in the app holds that deadline if its main thread is stuck).
// An app that has not exited SHUTDOWN_TIMEOUT_MS + 5 s after the launcher's
// SIGTERM is killed: its main thread is stuck where no stop could begin.
//
// Watch mode (`--watch`, what `npm run start:dev` runs): each app runs under
// `nest start <app> --watch`, which recompiles the app and every lib it
// includes on a change and restarts the app; the Nest CLI forwards SIGTERM to
// its app and exits when the app has. Output goes to dist/dev/<app> (the
// apps' tsconfig.dev.json), never to dist/apps, which the built apps and the
// tests run from. The CLI process holds the IPC channel, so it is started with
// exit-with-launcher.mjs preloaded; the launcher sweeps each CLI's process
// group when the CLI exits (an app the CLI spawned while it was being stopped).
//
// Exit status: the apps'. 0 when every app exited 0; otherwise the first
// failure — its exit code, or 128 + the signal number when it died by a
// signal. When an app exits on its own, the others are stopped and its status
// is the launcher's.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { logFormatFor, nodeOptionsFor } from './runtime-defaults.mjs';

const entries = {
  api: 'dist/apps/api/apps/api/src/main.js',
  worker: 'dist/apps/worker/apps/worker/src/main.js',
};
const watch = process.argv.includes('--watch');
const names = process.argv.slice(2).filter((arg) => arg !== '--watch');
/** Watch mode: how long a stopped Nest CLI may take, longer than an app's graceful stop (SHUTDOWN_TIMEOUT_MS, 10 s by default). */
const WATCH_STOP_GRACE_MS = 20_000;
/** How long a stopped app may take before the launcher kills it: its own deadline, its watchdog's second past that, and a margin. */
const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS);
const APP_STOP_GRACE_MS = (Number.isInteger(shutdownTimeoutMs) && shutdownTimeoutMs > 0 ? shutdownTimeoutMs : 10_000) + 5_000;
const exitWithLauncher = join(import.meta.dirname, 'exit-with-launcher.mjs');
const nestCli = join(import.meta.dirname, '../node_modules/@nestjs/cli/bin/nest.js');
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
  for (const [name, child] of running) {
    child.kill('SIGTERM');
    // A Nest CLI stopped while it restarts its app starts the new app anyway and waits for it: bound that.
    if (watch) setTimeout(() => child.pid !== undefined && sweepGroup(child.pid), WATCH_STOP_GRACE_MS).unref();
    // An app whose main thread is stuck runs neither its signal handler nor its shutdown timer.
    else setTimeout(() => killStuck(name, child), APP_STOP_GRACE_MS).unref();
  }
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

/** How an app is started: its built entry, or (watch mode) the Nest CLI that builds, runs and restarts it. */
function command(name, entry) {
  if (!watch) return { args: ['--enable-source-maps', entry], env: { NODE_OPTIONS: nodeOptionsFor(name) } };
  return {
    args: [
      '--import',
      exitWithLauncher,
      nestCli,
      'start',
      name,
      '--watch',
      '--preserveWatchOutput',
      // The app is the CLI's own child, not a shell's: the SIGTERM the CLI forwards must reach it.
      '--no-shell',
      '--path',
      `apps/${name}/tsconfig.dev.json`,
    ],
    // The heap caps of runtime-defaults.mjs size production; the compiler shares the CLI's process and needs more.
    env: process.env.NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.NODE_OPTIONS },
  };
}

function killStuck(name, child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  say(`${name} did not stop in ${APP_STOP_GRACE_MS} ms; killing it (SIGKILL)`);
  child.kill('SIGKILL');
}

/** Watch mode: ends whatever is left in an app's process group once its CLI has exited. */
function sweepGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // nothing left: the usual case
  }
}

for (const [name, entry] of Object.entries(apps)) {
  const { args, env } = command(name, entry);
  const { NODE_OPTIONS: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...inherited, ...env, LOG_FORMAT: logFormatFor() },
  });
  relay(name, child.stdout, process.stdout);
  relay(name, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (watch && child.pid !== undefined) sweepGroup(child.pid);
    exited(name, code, signal);
  });
  child.on('error', (error) => {
    say(`${name}: ${error.message}`);
    if (child.pid === undefined) exited(name, 1, null); // never started: no 'exit' will come
  });
  if (child.pid !== undefined) say(`${name} started (pid ${child.pid})`);
  running.set(name, child);
}
