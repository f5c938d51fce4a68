import { Worker } from 'node:worker_threads';

/** How long past the shutdown timeout the watchdog waits for the main thread's own exit before it ends the process. */
export const WATCHDOG_GRACE_MS = 1_000;
/** How often the watchdog looks whether the launcher is still this process's parent. */
const LAUNCHER_POLL_MS = 250;

/** What the main thread tells the watchdog. */
export interface ShutdownWatchdog {
  /** The stop has begun: from now on the process has `timeoutMs` (+ grace) to end. */
  stopping(): void;
}

export interface ShutdownWatchdogOptions {
  /** Name in the one line written to stderr before the watchdog ends the process. */
  name: string;
  timeoutMs: number;
  /** The launcher's pid (scripts/run-all.mjs, the parent holding the IPC channel): when it stops being the parent, the stop begins. */
  launcherPid: number;
}

// Plain JavaScript for the watchdog's thread (a worker started from source: nothing to resolve at run time).
const WATCHDOG_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { write } = require('node:fs');
const { name, timeoutMs, graceMs, launcherPid, pollMs } = workerData;
let armed = false;
const end = (why) => {
  const kill = () => process.kill(process.pid, 'SIGKILL');
  setTimeout(kill, 200).unref();
  // Best effort: the thread pool writes it; a full or closed stderr must not hold the kill back.
  write(2, name + ': ' + why + '; the main thread did not end the process, so the shutdown watchdog does (SIGKILL)\\n', kill);
};
const arm = (why) => {
  if (armed) return;
  armed = true;
  setTimeout(() => end(why), timeoutMs + graceMs);
};
parentPort.on('message', () => arm('shutdown took longer than ' + timeoutMs + ' ms'));
const poll = setInterval(() => {
  if (process.ppid === launcherPid) return;
  clearInterval(poll);
  arm('the launcher (pid ' + launcherPid + ') went away ' + (timeoutMs + graceMs) + ' ms ago');
}, pollMs);
`;

/**
 * A thread that makes the shutdown deadline hold even when the main thread cannot: once a stop has
 * begun (SIGTERM, SIGINT, the launcher gone), or once the launcher is no longer this process's parent,
 * the process ends within `timeoutMs` + WATCHDOG_GRACE_MS — by the main thread's own exit as a rule,
 * else by this thread with SIGKILL. The main thread's event loop plays no part in it: a main thread
 * stuck in a blocking call (issue 22: a synchronous log flush waiting forever on a dead pipe) can run
 * neither its shutdown timer nor a signal handler, and would outlive its launcher for good.
 *
 * The launcher is watched by its pid, not by the IPC channel (that one belongs to the main thread's
 * event loop): an app started by scripts/run-all.mjs is its child, and a child whose parent dies is
 * handed to another parent.
 *
 * Costs a thread (about 15 MB RSS: a V8 isolate with Node's bootstrap), idle but for a getppid() every
 * LAUNCHER_POLL_MS; unref'd, it never keeps the process alive. So it runs only under the launcher: in a
 * container (the app is PID 1, which could not SIGKILL itself anyway) or under systemd, the supervisor's
 * own kill after its stop grace period is the bound (compose: stop_grace_period).
 */
export function startShutdownWatchdog(options: ShutdownWatchdogOptions): ShutdownWatchdog {
  const worker = new Worker(WATCHDOG_THREAD, {
    eval: true,
    workerData: { ...options, graceMs: WATCHDOG_GRACE_MS, pollMs: LAUNCHER_POLL_MS },
    // A few MB is all it needs; the defaults would let it grow like an app.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  return { stopping: () => worker.postMessage('stopping') };
}
