import type { Logger } from 'pino';

/**
 * On SIGTERM/SIGINT: run `close` (stop taking work, finish what is in flight,
 * release connections) and exit 0; exit 1 if that takes longer than `timeoutMs`.
 * Used instead of Nest's enableShutdownHooks, which re-raises the signal and
 * so never exits with 0.
 */
export function installGracefulShutdown(options: { logger: Logger; timeoutMs: number; close: () => Promise<void> }): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger.info({ signal }, 'shutting down: finishing work in flight');
    const timer = setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, options.timeoutMs);
    timer.unref();
    options
      .close()
      .then(() => {
        options.logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
