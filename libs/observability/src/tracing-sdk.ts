/**
 * Starts the OpenTelemetry Node SDK for an app, configured only through the
 * standard OTEL_* variables. Tracing is on when an OTLP endpoint is set
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and
 * OTEL_SDK_DISABLED is not true; otherwise nothing is loaded at all — the SDK
 * and its instrumentations are imported only when tracing is on.
 *
 * Must run before the app's modules are imported: the instrumentations patch
 * http, express, Nest, pg and ioredis as they load (apps/<app>/src/main.ts
 * starts tracing, then imports the app).
 *
 * Exported spans are redacted (RedactingSpanExporter, redaction.ts): URL
 * queries keep allow-listed values only, addresses are masked, and Redis and
 * Postgres spans carry no values.
 */

import { RedactingSpanExporter } from './redacting-span-exporter.js';
import { redactQuery } from './redaction.js';

export class TracingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TracingConfigError';
  }
}

/** The OTLP transports herald is tested with. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

export type TracingSettings =
  | { readonly enabled: false; readonly reason: string }
  | { readonly enabled: true; readonly endpoint: string; readonly protocol: string; readonly serviceName: string };

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and checks the OTEL_* variables herald relies on; throws TracingConfigError naming the variable. */
export function tracingSettings(env: Env, defaultServiceName: string): TracingSettings {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const endpointVariable = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const endpoint = env[endpointVariable]?.trim();
  if (!endpoint) return { enabled: false, reason: 'no OTLP endpoint set' };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TracingConfigError(`${endpointVariable} must be an http(s) URL, got "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TracingConfigError(`${endpointVariable} must be an http(s) URL, got "${endpoint}"`);
  }
  const protocolVariable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[protocolVariable]?.trim() || 'http/protobuf';
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new TracingConfigError(`${protocolVariable} must be one of ${OTLP_PROTOCOLS.join(', ')}, got "${protocol}"`);
  }
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || defaultServiceName;
  // Only the endpoint's origin: a URL may carry credentials, and this is logged.
  return { enabled: true, endpoint: url.origin, protocol, serviceName };
}

/** `url.query` of an incoming request as a span may hold it (see redactQuery); nothing when there is no query. */
export function incomingQueryAttributes(target: string | undefined): Record<string, string> {
  const question = target?.indexOf('?') ?? -1;
  if (!target || question < 0) return {};
  const query = target.slice(question + 1).split('#')[0]!;
  return query ? { 'url.query': redactQuery(query) } : {};
}

interface StartedSdk {
  shutdown(): Promise<void>;
}

let started: StartedSdk | undefined;

/**
 * Starts tracing when the environment asks for it. Returns what was decided,
 * for the app to log once its logger exists.
 */
export async function startTracing(defaultServiceName: string, env: Env = process.env): Promise<TracingSettings> {
  const settings = tracingSettings(env, defaultServiceName);
  if (!settings.enabled || started) return settings;

  // ESM: Nest, bullmq and our code import http, express, pg and ioredis as ES modules, which only a
  // loader hook sees. The hook wraps only what the instrumentations patch: wrapping every module
  // would triple the apps' start-up time.
  const { register } = await import('node:module');
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['http', 'https', 'node:http', 'node:https', 'express', 'pg', 'ioredis', /\/node_modules\/@nestjs\/core\//] },
  });

  const [{ NodeSDK }, { HttpInstrumentation }, { ExpressInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }, nest, otlp] =
    await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-express'),
      import('@opentelemetry/instrumentation-pg'),
      import('@opentelemetry/instrumentation-ioredis'),
      import('./nest-instrumentation.js'),
      settings.protocol === 'http/json'
        ? import('@opentelemetry/exporter-trace-otlp-http')
        : import('@opentelemetry/exporter-trace-otlp-proto'),
    ]);
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, when set, wins (the SDK reads it); otherwise the app's own name.
    serviceName: env.OTEL_SERVICE_NAME?.trim() ? undefined : defaultServiceName,
    // Every span leaves through this exporter, which hands the OTLP one redacted copies only (redaction.ts):
    // no token, password, hash, JWT or address leaves the process in a span, whatever recorded it.
    // The OTLP exporter reads its endpoint, headers and timeout from the OTEL_* variables; the SDK batches (OTEL_BSP_*).
    traceExporter: new RedactingSpanExporter(new otlp.OTLPTraceExporter()),
    // Traces only: metrics are Prometheus's (/metrics) and logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes would be most of the traces and say nothing about an event's path.
        ignoreIncomingRequestHook: (request) => /^\/(health|metrics)(\/|$|\?)/.test(request.url ?? ''),
        // The query of an incoming request is on the span from its start: only allow-listed values, so the raw
        // query (an emailed link's token) is never held by the span at all (its attributes override the default's).
        startIncomingSpanHook: (request) => incomingQueryAttributes(request.url),
      }),
      new ExpressInstrumentation(),
      new nest.Nest12Instrumentation(),
      // requireParentSpan: the relay's polls and the workers' blocking reads would each start a trace.
      // The statement text only (with $n placeholders), never the values bound to it.
      // Leave addSqlCommenterCommentToQueries and enableTraceContextPropagation off: the first copies a query object and
      // loses the `submit` of the unit of work's one-Sync exchanges (StatementsInOneSync), the second sends a SET before
      // every statement, a round trip each (issue 23: a registration costs two).
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      // The command name only: the arguments are keys and values, and BullMQ's scripts carry job data and failure reasons.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  started = sdk;
  return settings;
}

/** Flushes and stops tracing (at shutdown, after the app closed); a no-op when tracing is off. */
export async function shutdownTracing(timeoutMs = 5000): Promise<void> {
  const sdk = started;
  if (!sdk) return;
  started = undefined;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    sdk.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs).unref();
    }),
  ]);
  clearTimeout(timer);
}
