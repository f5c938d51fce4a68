import { EventEmitter, once } from 'node:events';
import { installGracefulShutdown, type ShutdownHost } from './graceful-shutdown.js';
import { createLogger } from './logger.js';

/** A stand-in for `process`: stop requests are events; exit() is recorded, not performed. */
class FakeProcess extends EventEmitter implements ShutdownHost {
  readonly exits: number[] = [];
  readonly send?: () => void;

  constructor(
    ipc: boolean,
    readonly connected = ipc,
  ) {
    super();
    if (ipc) this.send = () => {};
  }

  exit(code: number): void {
    this.exits.push(code);
    this.emit('exited', code);
  }

  async exitCode(): Promise<number> {
    const [code] = (await once(this, 'exited')) as [number];
    return code;
  }
}

function setUp(options: { close?: () => Promise<void>; timeoutMs?: number; ipc?: boolean; connected?: boolean } = {}) {
  const watchdog = { stops: 0, stopping: () => void watchdog.stops++ };
  const host = new FakeProcess(options.ipc ?? false, options.connected);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ name: 'test', level: 'info', destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  let closes = 0;
  let finishClose!: () => void;
  const closing = new Promise<void>((resolve) => (finishClose = resolve));
  installGracefulShutdown({
    logger,
    timeoutMs: options.timeoutMs ?? 60_000,
    host,
    watchdog,
    close: () => {
      closes++;
      return options.close ? options.close() : closing;
    },
  });
  const messages = (msg: string) => lines.filter((line) => line.msg === msg);
  return { host, lines, messages, finishClose, closes: () => closes, watchdog };
}

describe(installGracefulShutdown.name, () => {
  it('on SIGTERM runs close, logs the stop, and exits 0', async () => {
    const { host, messages, finishClose, closes } = setUp();
    host.emit('SIGTERM');
    expect(closes()).toBe(1);
    expect(host.exits).toEqual([]); // still draining
    finishClose();
    expect(await host.exitCode()).toBe(0);
    expect(messages('shutting down: finishing work in flight')).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
    expect(messages('stopped')).toHaveLength(1);
  });

  it('absorbs every stop request after the first: close runs once, "already shutting down" is logged once, and the exit is still 0', async () => {
    const { host, messages, finishClose, closes } = setUp({ ipc: true });
    host.emit('SIGTERM');
    host.emit('SIGTERM');
    host.emit('SIGINT');
    host.emit('disconnect');
    host.emit('SIGTERM');
    finishClose();
    expect(await host.exitCode()).toBe(0);
    expect(closes()).toBe(1);
    expect(host.exits).toEqual([0]);
    expect(messages('already shutting down')).toEqual([expect.objectContaining({ level: 'warn', signal: 'SIGTERM' })]);
  });

  it('keeps listening: no signal is ever left to the default action (which would kill the process mid-drain)', async () => {
    const { host, finishClose } = setUp();
    host.emit('SIGTERM');
    host.emit('SIGINT');
    expect(host.listenerCount('SIGTERM')).toBe(1);
    expect(host.listenerCount('SIGINT')).toBe(1);
    finishClose();
    expect(await host.exitCode()).toBe(0);
  });

  it('exits 1 when close takes longer than the timeout, even after repeated signals', async () => {
    const { host, messages } = setUp({ timeoutMs: 20 });
    host.emit('SIGINT');
    host.emit('SIGTERM');
    expect(await host.exitCode()).toBe(1);
    expect(messages('shutdown timed out; exiting')).toHaveLength(1);
  });

  it('exits 1 when close fails', async () => {
    const { host, messages } = setUp({ close: () => Promise.reject(new Error('pool would not close')) });
    host.emit('SIGTERM');
    expect(await host.exitCode()).toBe(1);
    expect(messages('shutdown failed')).toHaveLength(1);
  });

  it('stops when the launcher holding its IPC channel goes away', async () => {
    const { host, messages, finishClose } = setUp({ ipc: true });
    host.emit('disconnect');
    finishClose();
    expect(await host.exitCode()).toBe(0);
    expect(messages('shutting down: finishing work in flight')).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/launcher gone/) }),
    ]);
  });

  it('stops at once when that launcher was already gone when the app was ready', async () => {
    const { host, finishClose, closes } = setUp({ ipc: true, connected: false });
    expect(closes()).toBe(1);
    finishClose();
    expect(await host.exitCode()).toBe(0);
  });

  it('tells the watchdog thread once, as the first stop begins, so the deadline holds even if the main thread gets stuck', async () => {
    const { host, watchdog, finishClose } = setUp({ ipc: true });
    expect(watchdog.stops).toBe(0);
    host.emit('SIGTERM');
    host.emit('disconnect');
    expect(watchdog.stops).toBe(1);
    finishClose();
    expect(await host.exitCode()).toBe(0);
  });

  it('does not watch for a launcher when it has no IPC channel', () => {
    const { host } = setUp();
    expect(host.listenerCount('disconnect')).toBe(0);
  });
});
