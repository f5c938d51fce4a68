import type { HeraldConfig } from '@herald/config';

/**
 * The interval of every retention schedule (the event tables', a context's
 * tokens'): RETENTION_INTERVAL_MS, or off (null) with RETENTION_ENABLED=false.
 */
export function retentionEveryMs(config: HeraldConfig): number | null {
  return config.retention.enabled ? config.retention.intervalMs : null;
}
