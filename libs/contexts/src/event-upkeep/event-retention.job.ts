import { Injectable } from '@nestjs/common';
import { EventRetention, retentionEveryMs } from '@herald/events';
import { defineScheduledJob, JobHandler, MaintenanceQueue } from '@herald/jobs';

/** Prunes the event platform's tables (outbox, inbox). NEVER rename it: the name is its schedule's id in Redis. */
export const PruneEvents = defineScheduledJob({ name: 'prune-events', queue: MaintenanceQueue, everyMs: retentionEveryMs });

/**
 * Runs the event platform's retention (EventRetention, libs/events) on its
 * schedule, in the worker. It lives here, where the apps compose the platform
 * and the contexts, not in libs/events (which owns the pruning) nor in
 * libs/jobs (which owns scheduling): libs/jobs depends on libs/events (it
 * implements the events platform's JobSink port), so a job declared in
 * libs/events would make the two libs import each other.
 */
@Injectable()
export class EventRetentionJob {
  constructor(private readonly retention: EventRetention) {}

  @JobHandler(PruneEvents)
  async prune(): Promise<Record<string, number>> {
    const results = await this.retention.prune();
    return Object.fromEntries(results.map((result) => [result.table, result.deleted]));
  }
}
