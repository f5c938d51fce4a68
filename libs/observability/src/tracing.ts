import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * Spans of herald's own steps (unit of work, dispatch, job, inbox, SMTP send)
 * and the W3C trace context an event carries from the request that recorded
 * it to the job that reacts to it, through the outbox row and the job's
 * options.
 *
 * Everything here goes through @opentelemetry/api: without a started SDK
 * (tracing off, the default) its tracer is a no-op and there is no active
 * span, so these helpers cost a function call and record nothing.
 */

export { SpanKind, type Attributes, type Context, type Link, type Span };

const TRACER_NAME = 'herald';

/** `00-<trace id>-<span id>-<flags>`: the only version of W3C Trace Context there is. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE_ID = /^0+$/;

/** The W3C `traceparent` of the active span, or null when nothing is traced. */
export function currentTraceparent(): string | null {
  const span = trace.getActiveSpan();
  if (!span) return null;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (INVALID_TRACE_ID.test(traceId)) return null;
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The span context a stored `traceparent` names, or undefined for null or a
 * malformed value (it comes from a database row or a job in Redis: outside
 * input, never trusted to be well formed).
 */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  if (!traceparent) return undefined;
  const match = TRACEPARENT.exec(traceparent);
  if (!match || INVALID_TRACE_ID.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** A context whose parent is the span a stored `traceparent` names (the root context when there is none). */
export function contextOf(traceparent: string | null | undefined): Context {
  const spanContext = spanContextOf(traceparent);
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/** Trace and span id of the active span, for log lines; empty when nothing is traced. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return INVALID_TRACE_ID.test(traceId) ? {} : { trace_id: traceId, span_id: spanId };
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
  /** The parent; the active context when omitted. */
  readonly parent?: Context;
}

/**
 * Runs `work` in a new active span that ends when it settles; an error is
 * recorded on the span and rethrown.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Parent and links for one step done for many events at once (a dispatch of
 * a batch): when every event comes from one trace, the step joins it as a
 * child of the first; when they come from several, it starts a trace of its
 * own linked to each — the OpenTelemetry way to show a batch serving many
 * requests.
 */
export function batchSpanOptions(traceparents: readonly (string | null | undefined)[]): Pick<SpanOptions, 'parent' | 'links'> {
  const contexts = traceparents.map(spanContextOf).filter((ctx): ctx is SpanContext => ctx !== undefined);
  if (contexts.length === 0) return {};
  const traces = new Set(contexts.map((ctx) => ctx.traceId));
  const links = [...new Map(contexts.map((ctx) => [`${ctx.traceId}-${ctx.spanId}`, { context: ctx }])).values()];
  return traces.size === 1 ? { parent: trace.setSpanContext(ROOT_CONTEXT, contexts[0]!), links } : { parent: ROOT_CONTEXT, links };
}
