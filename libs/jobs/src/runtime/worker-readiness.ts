import type { Worker } from 'bullmq';

/**
 * Readiness of each worker: its loop runs and both its connections (the
 * command one and the blocking one that waits for jobs) are 'ready'. A
 * worker left stuck after a long Redis outage (bullmq#4585) shows here as
 * down, so orchestration can restart it. By queue: 'ready', or what is wrong.
 */
export async function workerReadiness(workers: readonly Worker[], timeoutMs: number): Promise<Record<string, string>> {
  const within = <T>(promise: Promise<T> | undefined) =>
    Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref())]);
  const states: Record<string, string> = {};
  for (const worker of workers) {
    const backend = worker.getBackend();
    const [client, blocking] = await Promise.all([within(backend.client), within(backend.blockingClient)]);
    const problems = [
      ...(worker.isRunning() ? [] : ['not running']),
      ...(client?.status === 'ready' ? [] : [`connection ${client?.status ?? 'not ready'}`]),
      ...(blocking?.status === 'ready' ? [] : [`blocking connection ${blocking?.status ?? 'not ready'}`]),
    ];
    states[worker.name] = problems.length ? problems.join(', ') : 'ready';
  }
  return states;
}
