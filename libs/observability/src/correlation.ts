import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface CorrelationScope {
  /** Follows one user action through HTTP, events, jobs and logs. */
  readonly correlationId: string;
  /** The event or request that directly caused the current work, when known. */
  readonly causationId?: string;
}

const storage = new AsyncLocalStorage<CorrelationScope>();
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const Correlation = {
  run<T>(scope: CorrelationScope, fn: () => T): T {
    return storage.run(scope, fn);
  },
  current(): CorrelationScope | undefined {
    return storage.getStore();
  },
  id(): string | undefined {
    return storage.getStore()?.correlationId;
  },
  /** Takes an incoming id (e.g. X-Request-Id) only if it is short and harmless; otherwise makes one. */
  fromHeader(value: unknown): string {
    return typeof value === 'string' && SAFE_ID.test(value) ? value : randomUUID();
  },
};
