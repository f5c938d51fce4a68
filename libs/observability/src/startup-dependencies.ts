import { setTimeout as sleep } from 'node:timers/promises';

/** A service an app needs before it can start (Postgres, Redis), and how to tell that it answers. */
export interface StartupDependency {
  /** What operators call it: "Postgres", "Redis Cluster". */
  readonly name: string;
  /** The variable that points at it, so the message says what to fix. */
  readonly variable: string;
  /** Where it was looked for, password masked (see maskUrl). */
  readonly address: string;
  /** Resolves once the service answers; rejects saying why not. Must give up within `timeoutMs`. */
  check(timeoutMs: number): Promise<void>;
}

/** One line: which dependency did not answer, where, and its last error. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly unavailable: string[],
    readonly waitedMs: number,
  ) {
    super(`Gave up after ${waitedMs} ms waiting for ${unavailable.join('; ')}`);
    this.name = 'DependencyUnavailableError';
  }
}

/** Longest single check: a service that accepts the connection but never answers must not hold start-up. */
const CHECK_TIMEOUT_MS = 2000;
const RETRY_INTERVAL_MS = 500;

/** A URL as it may be shown: the password, if any, replaced by `***`. An unparsable URL is not shown at all. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** `text` with the password of each URL replaced by `***`: drivers do not print passwords, but make sure. */
export function withoutPasswords(text: string, urls: readonly string[]): string {
  return urls.reduce((masked, url) => {
    let password = '';
    try {
      password = decodeURIComponent(new URL(url).password);
    } catch {
      return masked;
    }
    return password ? masked.split(password).join('***') : masked;
  }, text);
}

/** One line saying why something failed (AggregateError, as Node gives for several addresses, has no message of its own). */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(reasonOf).join('; ');
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}

async function attempt(dependency: StartupDependency, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([dependency.check(timeoutMs), deadline]);
    return null;
  } catch (error) {
    return `${dependency.name} at ${dependency.address} (${dependency.variable}): ${reasonOf(error) || 'no answer'}`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits, at most `timeoutMs` (STARTUP_TIMEOUT_MS), until every dependency
 * answers, so an app that cannot start says which service at which address
 * did not answer, instead of a driver's retries and stack traces. Logs
 * (through `log`) what it is waiting for whenever that changes; throws
 * DependencyUnavailableError naming the ones that never answered.
 */
export async function waitForDependencies(
  dependencies: readonly StartupDependency[],
  timeoutMs: number,
  log: (message: string) => void,
): Promise<void> {
  const started = Date.now();
  let lastWaitingFor = '';
  // One that has answered is not asked again: near the deadline a check gets as little as 100 ms, and a
  // healthy service slower than that (a loaded machine) would be named as one that never answered.
  let pending = [...dependencies];
  for (;;) {
    const checkTimeoutMs = Math.max(100, Math.min(CHECK_TIMEOUT_MS, started + timeoutMs - Date.now()));
    const problems = await Promise.all(pending.map((dependency) => attempt(dependency, checkTimeoutMs)));
    pending = pending.filter((_, i) => problems[i] !== null);
    const down = problems.filter((problem): problem is string => problem !== null);
    if (down.length === 0) return;
    if (Date.now() - started >= timeoutMs) throw new DependencyUnavailableError(down, timeoutMs);
    const waitingFor = `waiting for ${down.join('; ')}`;
    if (waitingFor !== lastWaitingFor) log(waitingFor);
    lastWaitingFor = waitingFor;
    await sleep(Math.min(RETRY_INTERVAL_MS, Math.max(0, started + timeoutMs - Date.now())));
  }
}
