import { defineQueue } from '@herald/jobs';

/**
 * The queue of every email job. Its name is part of the Redis key space: NEVER
 * rename it (jobs waiting under the old name would be orphaned).
 */
export const EmailQueue = defineQueue({
  name: 'email',
  // SMTP providers limit sends per second; BullMQ's limiter holds the rest back (per worker process).
  workerOptions: (config) =>
    config.worker.emailRateLimitPerSecond > 0 ? { limiter: { max: config.worker.emailRateLimitPerSecond, duration: 1000 } } : {},
});
