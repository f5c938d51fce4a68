import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { NODE_OPTIONS_BY_APP } from '../../scripts/runtime-defaults.mjs';
import { waitFor } from './wait-for.js';

const ENTRIES = {
  api: 'dist/apps/api/apps/api/src/main.js',
  worker: 'dist/apps/worker/apps/worker/src/main.js',
  cli: 'dist/apps/cli/apps/cli/src/main.js',
} as const;

export type AppName = keyof typeof ENTRIES;

/**
 * A built app (dist/) running as a real child process. Its JSON log lines are
 * kept for assertions and shown when a test fails to start it.
 */
export class AppProcess {
  readonly lines: string[] = [];
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private child?: ChildProcess;

  constructor(
    readonly name: AppName,
    readonly env: Record<string, string>,
    readonly healthUrl?: string,
  ) {}

  start(): this {
    const child = spawn(process.execPath, ['--enable-source-maps', resolve(ENTRIES[this.name])], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', NODE_OPTIONS: NODE_OPTIONS_BY_APP[this.name], ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        this.lines.push(...parts);
      });
    }
    this.exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    this.child = child;
    return this;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get exited(): boolean {
    return this.child?.exitCode !== null || this.child?.signalCode !== null;
  }

  /** Starts and waits until /health/ready answers 200. */
  async startAndWaitReady(timeoutMs = 30_000): Promise<this> {
    this.start();
    await this.waitReady(timeoutMs);
    return this;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    if (!this.healthUrl) throw new Error(`${this.name} has no health URL`);
    try {
      await waitFor(
        `${this.name} ready`,
        async () => {
          if (this.exited) throw new Error(`${this.name} exited early`);
          const response = await fetch(this.healthUrl!).catch(() => null);
          return response?.status === 200;
        },
        timeoutMs,
        100,
      );
      // A "ready" from a process that has died would be another server's answer on this port.
      if (this.exited) throw new Error(`${this.name} exited although ${this.healthUrl} answered`);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ${this.name} output ---\n${this.lines.slice(-40).join('\n')}`);
    }
  }

  /** Resolves with the exit code/signal. */
  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) throw new Error('not started');
    return this.exit;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || !this.exit) throw new Error('not started');
    if (!this.exited) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  /** Parsed JSON log lines (non-JSON lines are skipped). */
  logs(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }
}

/** Runs the built CLI to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [resolve(ENTRIES.cli), ...args], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
