import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
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
 * How long a started app may take to answer ready. Idle, the worker is ready in about 2 s, 4 s with
 * tracing on (its loader hook sits in every import); on this 2-core machine under the full suite (the
 * multi-instance test hashes 2,000 passwords beside the other file) a traced worker measured 20 s with
 * eight busy threads, and one CI run passed 30 s without a line of output. A bound, not a delay: a
 * healthy start returns as soon as it answers.
 */
export const READY_TIMEOUT_MS = 90_000;
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose output lines (stdout and stderr) are kept for assertions. */
abstract class ObservedProcess {
  readonly lines: string[] = [];
  protected child?: ChildProcess;
  private exit?: Promise<Exit>;

  constructor(
    readonly label: string,
    readonly healthUrls: string[],
  ) {}

  protected abstract spawn(): ChildProcess;

  start(): this {
    const child = this.spawn();
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

  /** Starts and waits until every health URL answers 200. */
  async startAndWaitReady(timeoutMs = READY_TIMEOUT_MS): Promise<this> {
    this.start();
    await this.waitReady(timeoutMs);
    return this;
  }

  async waitReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    if (this.healthUrls.length === 0) throw new Error(`${this.label} has no health URL`);
    try {
      for (const url of this.healthUrls) {
        await waitFor(
          `${this.label} ready (${url})`,
          async () => {
            if (this.exited) throw new Error(`${this.label} exited early`);
            const response = await fetch(url).catch(() => null);
            return response?.status === 200;
          },
          timeoutMs,
          100,
        );
      }
      // A "ready" from a process that has died would be another server's answer on this port.
      if (this.exited) throw new Error(`${this.label} exited although it answered ready`);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ${this.label} output ---\n${this.lines.slice(-40).join('\n')}`);
    }
  }

  /** Resolves with the exit code/signal. */
  waitExit(): Promise<Exit> {
    if (!this.exit) throw new Error('not started');
    return this.exit;
  }

  /** Sends a signal to the process (only to it, not to its process group). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (!this.child || !this.exit) throw new Error('not started');
    if (!this.exited) this.signal('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
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
    return parseJsonLines(this.lines);
  }
}

function parseJsonLines(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

const baseEnv = (app: AppName | undefined, env: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  ...(app ? { NODE_OPTIONS: NODE_OPTIONS_BY_APP[app] } : {}),
  ...env,
});

/**
 * A built app (dist/) running as a real child process. Its JSON log lines are
 * kept for assertions and shown when a test fails to start it.
 */
export class AppProcess extends ObservedProcess {
  constructor(
    readonly name: AppName,
    readonly env: Record<string, string>,
    healthUrl?: string,
    /** Another entry script than the app's own (test/support/faulty-api.mjs). */
    private readonly entry: string = ENTRIES[name],
  ) {
    super(name, healthUrl ? [healthUrl] : []);
  }

  protected spawn(): ChildProcess {
    return spawn(process.execPath, ['--enable-source-maps', resolve(this.entry)], {
      env: baseEnv(this.name, this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

/**
 * scripts/run-all.mjs (what `npm start` and `npm run start:api` run) started
 * as systemd or a supervisor starts it: as the leader of its own process
 * group, so `signalGroup` reaches every process in the group at once.
 */
export class LauncherProcess extends ObservedProcess {
  constructor(
    readonly apps: AppName[],
    readonly env: Record<string, string>,
    healthUrls: string[],
  ) {
    super(`run-all ${apps.join(' ')}`, healthUrls);
  }

  protected spawn(): ChildProcess {
    // No NODE_OPTIONS: the launcher gives each app its own defaults.
    return spawn(process.execPath, [resolve('scripts/run-all.mjs'), ...this.apps], {
      env: baseEnv(undefined, this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  }

  /** What a supervisor does on stop: the signal goes to every process of the launcher's group. */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.pid) process.kill(-this.pid, signal);
  }

  /** The pid of an app, from the launcher's "<app> started (pid N)" line. */
  appPid(app: AppName): number | undefined {
    const line = this.lines.find((l) => l.startsWith(`[run-all] ${app} started (pid `));
    return line ? Number(/\(pid (\d+)\)/.exec(line)![1]) : undefined;
  }

  /** The launcher's own lines ("[run-all] ..."). */
  own(): string[] {
    return this.lines.filter((line) => line.startsWith('[run-all] '));
  }

  /** One app's JSON log lines (prefixed "[app] " when the launcher runs several). */
  appLogs(app: AppName): Record<string, unknown>[] {
    const prefix = `[${app}] `;
    return parseJsonLines(
      this.apps.length > 1 ? this.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)) : this.lines,
    );
  }

  /** SIGTERM to the group; after `graceMs` SIGKILL to the group and to the apps (which run in groups of their own). */
  override async stop(graceMs = 15_000): Promise<Exit> {
    if (!this.exited) this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      return await this.waitExit();
    } finally {
      clearTimeout(timer);
    }
  }

  override kill(): void {
    for (const pid of [this.pid, ...this.apps.map((app) => this.appPid(app))]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid === this.pid ? -pid : pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Whether a process (not necessarily our child) has ended: gone, or a zombie nobody has reaped yet. */
export function processEnded(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Runs the built CLI to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [resolve(ENTRIES.cli), ...args], {
    cwd: options.cwd,
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

/**
 * `npm run start:dev` (scripts/start-dev.sh: services, migrations, then
 * run-all.mjs --watch) started as a terminal starts it: the leader of its own
 * process group, so `signalGroup('SIGINT')` is Ctrl-C. Each app runs under a
 * Nest CLI in a process group of its own ("<app> started (pid N)" is the CLI's).
 */
export class DevLoopProcess extends LauncherProcess {
  constructor(env: Record<string, string>, healthUrls: string[]) {
    super(['api', 'worker'], env, healthUrls);
  }

  protected override spawn(): ChildProcess {
    return spawn('bash', [resolve('scripts/start-dev.sh')], {
      env: baseEnv(undefined, this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  }

  /** The pids an app's "ready" line came from, in order: a new one per restart. */
  readyPids(app: AppName): number[] {
    const ready = app === 'api' ? 'Nest application successfully started' : 'worker ready';
    return [...new Set(this.appLogs(app).flatMap((log) => (log.msg === ready && typeof log.pid === 'number' ? [log.pid] : [])))];
  }

  /** SIGKILL to the launcher's group and to each Nest CLI's group (its app included). */
  override kill(): void {
    for (const pid of [this.pid, ...this.apps.map((app) => this.appPid(app))]) {
      if (pid === undefined) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** The processes, alive or zombie, whose process group is `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pgid ? [Number(entry)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}
