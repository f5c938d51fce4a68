// The worker's entry point. Tracing starts first (when OTEL_* asks for it): its instrumentations patch
// http, express, Nest, pg and ioredis as they load, so the app itself is imported only afterwards.
import { startTracing, TracingConfigError } from '@herald/observability';

try {
  await startTracing('herald-worker');
} catch (error) {
  process.stderr.write(`herald-worker: ${error instanceof TracingConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
await import('./serve.js');
