import type { LoggerService } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { HeraldConfig } from '@herald/config';
import type { ScheduledJobDefinition } from '../definition/scheduled-job.js';

/**
 * Registers (or updates, or with `everyMs` null removes) a scheduled job's
 * schedule in Redis under its name. Every worker does so at boot; BullMQ keeps
 * one scheduler per id, so many workers make one schedule per deployment, and
 * the last worker to boot sets the interval.
 */
export async function applySchedule(queue: Queue, job: ScheduledJobDefinition, config: HeraldConfig, logger: LoggerService): Promise<void> {
  const everyMs = job.everyMs(config);
  if (everyMs === null) {
    const removed = await queue.removeJobScheduler(job.name);
    logger.log({ msg: 'job schedule off', queue: job.queue.name, jobName: job.name, removed });
    return;
  }
  // One attempt: the next tick is the retry. Finished runs are kept by count, for operators to look at.
  const opts = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 }, ...job.options };
  await queue.upsertJobScheduler(job.name, { every: everyMs }, { name: job.name, data: {}, opts });
  logger.log({ msg: 'job scheduled', queue: job.queue.name, jobName: job.name, everyMs });
}
