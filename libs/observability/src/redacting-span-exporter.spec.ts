import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { RedactingSpanExporter, redactSpan } from './redacting-span-exporter.js';
import { incomingQueryAttributes } from './tracing-sdk.js';

const TOKEN = 'Qm9vdHN0cmFwU2VsZWN0b3I.dmVyaWZpZXItMTIzNDU2Nzg5MC1hYmNkZWZnaGlqa2xt';
const ADDRESS = 'ada@example.com';
const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };

/** A span as instrumentations record them when someone opens an emailed link and a send is refused. */
function leakySpan(): ReadableSpan {
  return {
    name: `GET /verify-email?token=${TOKEN}`,
    kind: SpanKind.SERVER,
    spanContext: () => spanContext,
    parentSpanContext: undefined,
    startTime: [1, 0],
    endTime: [2, 0],
    status: { code: SpanStatusCode.ERROR, message: `550 5.1.1 <${ADDRESS}>: Recipient address rejected` },
    attributes: {
      'url.full': `http://herald.test/verify-email?token=${TOKEN}`,
      'url.query': `token=${TOKEN}`,
      'url.path': '/verify-email',
      'http.route': '/verify-email',
      'http.response.status_code': 200,
    },
    links: [{ context: spanContext, attributes: { 'herald.link': `/reset-password?token=${TOKEN}` } }],
    events: [
      {
        name: 'exception',
        time: [1, 5],
        attributes: {
          'exception.type': 'Error',
          'exception.message': `Can't send mail: 550 5.1.1 <${ADDRESS}>: Recipient address rejected`,
          'exception.stacktrace': `Error: GET /reset-password?token=${TOKEN} failed\n    at x (file:///app/x.js:1:1)`,
        },
      },
    ],
    duration: [1, 0],
    ended: true,
    resource: {} as ReadableSpan['resource'],
    instrumentationScope: { name: '@opentelemetry/instrumentation-http' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

describe(redactSpan.name, () => {
  it('leaves no token and no address in the name, attributes, events, links or status', () => {
    const redacted = redactSpan(leakySpan());
    const exported = JSON.stringify({ ...redacted, spanContext: redacted.spanContext() });
    expect(exported).not.toContain(TOKEN);
    expect(exported).not.toContain(TOKEN.split('.')[1]);
    expect(exported).not.toContain(ADDRESS);
    expect(redacted.attributes).toMatchObject({
      'url.full': 'http://herald.test/verify-email?token=REDACTED',
      'url.query': 'token=REDACTED',
      'http.route': '/verify-email',
      'http.response.status_code': 200,
    });
    expect(redacted.name).toBe('GET /verify-email?token=REDACTED');
    expect(redacted.status).toEqual({ code: SpanStatusCode.ERROR, message: '550 5.1.1 <a***@example.com>: Recipient address rejected' });
    expect(redacted.events[0]!.attributes!['exception.message']).toBe(
      "Can't send mail: 550 5.1.1 <a***@example.com>: Recipient address rejected",
    );
  });

  it('applies the URL rule to a name that is a request target only; other names keep their words', () => {
    const named = (name: string) => redactSpan({ ...leakySpan(), name }).name;
    expect(named(`GET /users/verify/${TOKEN.split('.')[1]}`)).toBe('GET /users/verify/REDACTED');
    expect(named('OAuth2CallbackController.handleCallback')).toBe('OAuth2CallbackController.handleCallback');
    expect(named('job send-verification-email')).toBe('job send-verification-email');
  });

  it('keeps what identifies the span and changes nothing of the original', () => {
    const span = leakySpan();
    const redacted = redactSpan(span);
    expect(redacted.spanContext()).toEqual(spanContext);
    expect(redacted).toMatchObject({ kind: SpanKind.SERVER, startTime: [1, 0], endTime: [2, 0], ended: true });
    expect(span.attributes['url.query']).toBe(`token=${TOKEN}`);
  });
});

describe(RedactingSpanExporter.name, () => {
  it('hands the wrapped exporter redacted copies, and passes shutdown and flush on', async () => {
    const received: ReadableSpan[] = [];
    const calls: string[] = [];
    const inner: SpanExporter = {
      export: (spans, done) => {
        received.push(...spans);
        done({ code: 0 });
      },
      shutdown: async () => void calls.push('shutdown'),
      forceFlush: async () => void calls.push('flush'),
    };
    const exporter = new RedactingSpanExporter(inner);
    const result = await new Promise<ExportResult>((resolve) => exporter.export([leakySpan()], resolve));
    expect(result).toEqual({ code: 0 });
    expect(received).toHaveLength(1);
    expect(received[0]!.attributes['url.query']).toBe('token=REDACTED');
    await exporter.forceFlush();
    await exporter.shutdown();
    expect(calls).toEqual(['flush', 'shutdown']);
  });
});

describe(incomingQueryAttributes.name, () => {
  it("puts only the redacted query on the server span from its start (it overrides the instrumentation's own)", () => {
    expect(incomingQueryAttributes(`/reset-password?token=${TOKEN}`)).toEqual({ 'url.query': 'token=REDACTED' });
    expect(incomingQueryAttributes('/users/me')).toEqual({});
    expect(incomingQueryAttributes('/users?')).toEqual({});
    expect(incomingQueryAttributes(undefined)).toEqual({});
  });
});
