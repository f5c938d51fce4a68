import type { Logger } from 'pino';
import { startShutdownWatchdog, type ShutdownWatchdog } from './shutdown-watchdog.js';
import { shutdownTracing } from './tracing-sdk.js';

/** The part of `process` a graceful stop listens to and ends (a fake in unit tests). */
export interface ShutdownHost {
  on(event: 'SIGTERM' | 'SIGINT' | 'disconnect', listener: () => void): unknown;
  /** A function when a parent started this process with an IPC channel (scripts/run-all.mjs does). */
  readonly send?: unknown;
  /** Whether that channel is still open. */
  readonly connected?: boolean;
  exit(code: number): void;
}

export interface GracefulShutdownOptions {
  logger: Logger;
  timeoutMs: number;
  /** Stop taking work, finish what is in flight, release connections. */
  close: () => Promise<void>;
  host?: ShutdownHost;
  /**
   * Ends the process from another thread when the main thread cannot (see startShutdownWatchdog). By
   * default one is started when the real process runs under a launcher (an IPC channel), named after the logger.
   */
  watchdog?: ShutdownWatchdog;
}

/**
 * On SIGTERM/SIGINT, or when the launcher that holds this process's IPC channel
 * goes away (scripts/run-all.mjs, even killed with SIGKILL: the app must not
 * outlive it): run `close` and exit 0; exit 1 if that fails or takes longer
 * than `timeoutMs`.
 *
 * Every stop request after the first is absorbed (and logged once): a process
 * group stopped by a supervisor, a terminal, or npm forwarding what it got
 * delivers the signal more than once, and Node's default action for a second
 * one would kill the process in the middle of its drain.
 *
 * Used instead of Nest's enableShutdownHooks, which re-raises the signal and
 * so never exits with 0.
 *
 * Under the launcher the deadline holds even if the main thread gets stuck: a
 * watchdog thread ends the process WATCHDOG_GRACE_MS after it, and notices a
 * launcher that died by itself (shutdown-watchdog.ts).
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): void {
  const host = options.host ?? process;
  const { logger } = options;
  const launched = typeof host.send === 'function';
  // Under a launcher nothing else bounds a stuck process; a container runtime or systemd kills one after its own grace period.
  const watchdog =
    options.watchdog ??
    (host === process && launched
      ? startShutdownWatchdog({ name: String(logger.bindings().name ?? 'herald'), timeoutMs: options.timeoutMs, launcherPid: process.ppid })
      : undefined);
  let stopping = false;
  let repeatLogged = false;

  const stop = (trigger: { signal: NodeJS.Signals } | { reason: string }) => {
    if (stopping) {
      if (!repeatLogged) logger.warn(trigger, 'already shutting down');
      repeatLogged = true;
      return;
    }
    stopping = true;
    watchdog?.stopping();
    logger.info(trigger, 'shutting down: finishing work in flight');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out; exiting');
      host.exit(1);
    }, options.timeoutMs);
    timer.unref();
    options
      .close()
      // The spans of the work just finished, still in the exporter's buffer.
      .then(() => shutdownTracing())
      .then(() => {
        clearTimeout(timer);
        logger.info('stopped');
        host.exit(0);
      })
      .catch((error: unknown) => {
        clearTimeout(timer);
        logger.error({ err: error }, 'shutdown failed');
        host.exit(1);
      });
  };

  // `on`, not `once`: with no listener left, the next signal would get Node's default action.
  host.on('SIGTERM', () => stop({ signal: 'SIGTERM' }));
  host.on('SIGINT', () => stop({ signal: 'SIGINT' }));
  if (launched) {
    const launcherGone = { reason: 'launcher gone (IPC channel closed)' };
    // The launcher may have died while this process was starting, before anyone listened.
    if (host.connected) host.on('disconnect', () => stop(launcherGone));
    else stop(launcherGone);
  }
}
