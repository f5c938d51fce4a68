import type { NextFunction, Request, Response } from 'express';
import { LATENCY_BUCKETS, type Metrics } from '@herald/observability';

/** Admin areas served by Express handlers of their own (no Nest route pattern): one label each. */
const ADMIN_MOUNTS = ['/admin/queues'];

/**
 * Counts and times every request by method, route pattern (never the raw
 * URL: ids and tokens would explode the label set) and status.
 */
export function httpMetricsMiddleware(metrics: Metrics) {
  const requests = metrics.counter({
    name: 'herald_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
  });
  const duration = metrics.histogram({
    name: 'herald_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.on('finish', () => {
      const pattern = (req.route as { path?: string } | undefined)?.path;
      const route = pattern ? `${req.baseUrl}${pattern}` : (ADMIN_MOUNTS.find((mount) => req.originalUrl.startsWith(mount)) ?? 'unmatched');
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, (performance.now() - started) / 1000);
    });
    next();
  };
}
