import { Injectable } from '@nestjs/common';
import type { HeraldConfig } from '@herald/config';
import { EventRetention } from '@herald/events';
import { JobHandler } from './job-handler.js';
import { defineScheduledJob, MaintenanceQueue } from './scheduled-job.js';

/** The interval of every retention schedule: RETENTION_INTERVAL_MS, or off with RETENTION_ENABLED=false. */
export function retentionEveryMs(config: HeraldConfig): number | null {
  return config.retention.enabled ? config.retention.intervalMs : null;
}

/** Prunes the event platform's tables (outbox, inbox). NEVER rename it: the name is its schedule's id in Redis. */
export const PruneEvents = defineScheduledJob({ name: 'prune-events', queue: MaintenanceQueue, everyMs: retentionEveryMs });

/** Runs the event platform's retention on its schedule (worker only: JobsModule's runtime). */
@Injectable()
export class EventRetentionJob {
  constructor(private readonly retention: EventRetention) {}

  @JobHandler(PruneEvents)
  async prune(): Promise<Record<string, number>> {
    const results = await this.retention.prune();
    return Object.fromEntries(results.map((result) => [result.table, result.deleted]));
  }
}
