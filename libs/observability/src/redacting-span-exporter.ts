import type { Attributes, Link, SpanStatus } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';
import { QUERY_PARAMETERS_SHOWN, redactAttribute, redactText, redactUrl } from './redaction.js';

function redactAttributes(attributes: Attributes, shown: readonly string[]): Attributes {
  const redacted: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) redacted[key] = redactAttribute(key, value, shown);
  return redacted;
}

/** A server span's name may be its target (`GET /path?query`) in older instrumentations: the URL rule for that, text rules for all. */
function redactSpanName(name: string, shown: readonly string[]): string {
  const target = /^([A-Z]+ )(\/\S*)$/.exec(name);
  return redactText(target ? `${target[1]}${redactUrl(target[2]!, shown)}` : name, shown);
}

/**
 * A span as it may leave the process: every attribute (of the span, its
 * events and its links), its name and its status message redacted (see
 * redaction.ts). A copy: the span itself is not changed.
 */
export function redactSpan(span: ReadableSpan, shown: readonly string[] = QUERY_PARAMETERS_SHOWN): ReadableSpan {
  const events: TimedEvent[] = span.events.map((event) => ({
    ...event,
    name: redactText(event.name, shown),
    ...(event.attributes ? { attributes: redactAttributes(event.attributes, shown) } : {}),
  }));
  const links: Link[] = span.links.map((link) =>
    link.attributes ? { ...link, attributes: redactAttributes(link.attributes, shown) } : link,
  );
  const status: SpanStatus =
    span.status.message === undefined ? span.status : { ...span.status, message: redactText(span.status.message, shown) };
  return {
    name: redactSpanName(span.name, shown),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status,
    attributes: redactAttributes(span.attributes, shown),
    links,
    events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/**
 * The one place every exported span passes: wraps the OTLP exporter and hands
 * it redacted copies only. Whatever an instrumentation (or a future one)
 * records — a URL with a token in its query, an exception that quotes an
 * address — leaves the process in the form redaction.ts allows.
 */
export class RedactingSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly shown: readonly string[] = QUERY_PARAMETERS_SHOWN,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(
      spans.map((span) => redactSpan(span, this.shown)),
      resultCallback,
    );
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
