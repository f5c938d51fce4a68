import { z } from 'zod';

/**
 * A job's trace context lives in BullMQ's `opts.telemetry.metadata`, in the
 * format bullmq-otel uses (a JSON text map: `{"traceparent": "..."}`), so a
 * job added by herald reads the same to any BullMQ telemetry tooling.
 */
export function traceMetadata(traceparent: string): string {
  return JSON.stringify({ traceparent });
}

const carrier = z.object({ traceparent: z.string().max(55) });

/** The traceparent a job carries, or null (none, or not in the expected shape: it comes from Redis). */
export function traceparentOfJob(job: { opts?: { telemetry?: { metadata?: unknown } } }): string | null {
  const metadata = job.opts?.telemetry?.metadata;
  if (typeof metadata !== 'string' || metadata.length > 1000) return null;
  try {
    const parsed = carrier.safeParse(JSON.parse(metadata));
    return parsed.success ? parsed.data.traceparent : null;
  } catch {
    return null;
  }
}
