import { Worker, type Job } from 'bullmq';
import type { HeraldConfig } from '@herald/config';
import type { QueueDefinition } from '../definition/queue-definition.js';
import { bullConnection } from '../redis/redis-connection.js';

/**
 * How often a worker looks for jobs whose worker died. BullMQ moves such a job
 * back to waiting at the first check after its lock expired at which the job
 * was already marked as a suspect by the check before; with checks every
 * quarter lock, a dead worker's jobs run again at most ~1.25 lock durations
 * (lock at most ~1.0 after its last renewal, plus one interval) after it died.
 * A check is one small Lua script per queue; a shorter lock, not a shorter
 * interval, is what buys faster recovery (runbooks/job-queue.md).
 */
export function stalledCheckInterval(lockDurationMs: number): number {
  return Math.max(250, Math.round(lockDurationMs / 4));
}

/** The BullMQ Worker that consumes one queue, with the configured concurrency and lock, and the queue's own options. */
export function createQueueWorker(
  queue: QueueDefinition,
  config: HeraldConfig,
  /** `token`: the lock the worker holds on the job (what moving it to delayed needs). */
  process: (job: Job, token?: string) => Promise<unknown>,
): Worker {
  return new Worker(queue.name, process, {
    // Workers block on Redis: they must never give up on a command (BullMQ requirement).
    connection: bullConnection(config.redis, { maxRetriesPerRequest: null }),
    prefix: config.redis.queuePrefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: stalledCheckInterval(config.worker.lockDurationMs),
    autorun: true,
    ...queue.workerOptions?.(config),
  });
}
