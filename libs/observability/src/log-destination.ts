import sonicBoom, { type SonicBoom, type SonicBoomOpts } from 'sonic-boom';

// The package is CommonJS (`module.exports = SonicBoom`) with ES-style declarations: the default import is the class.
const SonicBoomStream = sonicBoom as unknown as typeof SonicBoom;

/** At most this much log output waits for a slow reader; lines beyond it are dropped (and counted). */
export const MAX_BUFFERED_LOG_BYTES = 4 * 1024 * 1024;
/**
 * Consecutive 100 ms waits for a full pipe before a write gives up: at exit that bounds the final flush
 * to about a second; while running, the next line tries again.
 */
export const MAX_LOG_WRITE_RETRIES = 10;

/** The part of `process` the destination needs: its final flush runs on 'exit' (a fake in unit tests). */
export interface ExitHost {
  once(event: 'exit', listener: () => void): unknown;
}

/**
 * Where the apps' log lines go (stdout): written in the background, so neither a slow nor a vanished
 * reader can stop the event loop, and flushed at exit in bounded time.
 *
 * Why not pino's own destination: it is sonic-boom 4 on fd 1, which flushes at process exit with
 * `flushSync`, and that retries a failed write every 100 ms for as long as it fails — a broken pipe
 * (EPIPE) included. A worker whose launcher was killed (its stdout is a pipe to the launcher) and that
 * exits with a line still queued behind a write in flight then sleeps in that loop for good: main
 * thread in a futex wait, signal handlers and timers never run again (issue 22). Here:
 * - writes go through libuv's thread pool; a stalled reader holds back lines, never the app; past
 *   MAX_BUFFERED_LOG_BYTES lines are dropped, and their count is logged once the backlog is written;
 * - a write error other than "try again" (EPIPE: the reader is gone) ends writing for good, as pino's
 *   destination does, so nothing is retried into a dead pipe;
 * - at exit what is queued is written synchronously with at most MAX_LOG_WRITE_RETRIES waits for a
 *   full pipe (sonic-boom 5 bounds those and throws, instead of retrying, on any other error).
 */
export class LogDestination {
  private readonly stream: SonicBoom;
  private broken = false;
  private dropped = 0;
  /** Told how many lines were dropped, once the backlog that made them drop has been written. */
  onDropsEnded?: (dropped: number) => void;

  constructor(fd: number, host: ExitHost = process) {
    // maxWriteRetries is a sonic-boom 5 option its type declarations do not list yet.
    const options: SonicBoomOpts & { maxWriteRetries: number } = {
      fd,
      sync: false,
      minLength: 0,
      maxLength: MAX_BUFFERED_LOG_BYTES,
      maxWriteRetries: MAX_LOG_WRITE_RETRIES,
    };
    this.stream = new SonicBoomStream(options);
    this.stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EAGAIN' && error.code !== 'EBUSY') this.broken = true;
    });
    this.stream.on('drop', () => this.dropped++);
    this.stream.on('drain', () => {
      if (this.dropped === 0) return;
      const dropped = this.dropped;
      this.dropped = 0;
      this.onDropsEnded?.(dropped);
    });
    host.once('exit', () => this.flushSync());
  }

  /** Whether a write failed for good (the reader is gone): nothing is written any more. */
  get closed(): boolean {
    return this.broken;
  }

  write(line: string): void {
    if (!this.broken) this.stream.write(line);
  }

  /** Writes what is queued now, in bounded time (pino calls it after `fatal`; the exit hook too). */
  flushSync(): void {
    if (this.broken) return;
    try {
      this.stream.flushSync();
    } catch {
      // EPIPE, or a pipe still full after MAX_LOG_WRITE_RETRIES waits: the rest is lost, the process is not.
      this.broken = true;
    }
  }
}

let stdout: LogDestination | undefined;

/** The process's one destination on stdout (one exit hook, one queue, lines in order). */
export function stdoutDestination(): LogDestination {
  stdout ??= new LogDestination(1);
  return stdout;
}
