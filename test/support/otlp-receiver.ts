import { createServer, type IncomingMessage, type Server } from 'node:http';
import protobuf from 'protobufjs';
import { freePort } from './ports.js';

/** One span as the receiver saw it, ids in lower-case hex whatever the transport. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly links: readonly {
    readonly traceId: string;
    readonly spanId: string;
    readonly attributes: Readonly<Record<string, AttributeValue>>;
  }[];
  /** Span events (an `exception` event carries exception.type, .message and .stacktrace). */
  readonly events: readonly { readonly name: string; readonly attributes: Readonly<Record<string, AttributeValue>> }[];
  /** OTLP status: code 0 unset, 1 ok, 2 error; the message an error status carries. */
  readonly status: { readonly code: number; readonly message: string };
  /** The attributes of the resource that exported the span (service.name, process.*, host.*). */
  readonly resource: Readonly<Record<string, AttributeValue>>;
}

/** An attribute value as received: arrays (OTLP ArrayValue) as arrays of their items. */
export type AttributeValue = string | number | boolean | readonly (string | number | boolean)[];

export const SpanKindCode = { Internal: 1, Server: 2, Client: 3, Producer: 4, Consumer: 5 } as const;

// The part of opentelemetry/proto/collector/trace/v1 this receiver reads (field numbers as in the
// OTLP spec); protobuf skips the fields it does not declare.
const OTLP_TRACE_PROTO = `
syntax = "proto3";
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Link { bytes trace_id = 1; bytes span_id = 2; repeated KeyValue attributes = 4; }
message Status { string message = 2; int32 code = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  repeated KeyValue attributes = 9; repeated Event events = 11; repeated Link links = 13; Status status = 15;
}
message ScopeSpans { repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;
const ExportTraceServiceRequest = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root.lookupType('ExportTraceServiceRequest');

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  bytesValue?: string;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  attributes?: KeyValue[];
  events?: { name?: string; attributes?: KeyValue[] }[];
  links?: { traceId?: string; spanId?: string; attributes?: KeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
interface OtlpRequest {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

const scalarOf = (value: AnyValue | undefined): string | number | boolean =>
  value?.stringValue ??
  value?.boolValue ??
  (value?.intValue !== undefined ? Number(value.intValue) : (value?.doubleValue ?? value?.bytesValue ?? ''));
const valueOf = (value: AnyValue | undefined): AttributeValue =>
  value?.arrayValue ? (value.arrayValue.values ?? []).map(scalarOf) : scalarOf(value);
const attributesOf = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const statusCode = (code: number | string | undefined): number =>
  typeof code === 'number' ? code : code === undefined ? 0 : (STATUS_CODES[code] ?? Number(code));

/**
 * An OTLP/HTTP trace receiver in the test process (what a collector is to
 * the apps): accepts `http/json` and `http/protobuf` exports on /v1/traces
 * and keeps every span.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Content types of the exports received, in order. */
  readonly contentTypes: string[] = [];
  private server?: Server;
  private port = 0;

  async start(): Promise<this> {
    this.port = await freePort();
    this.server = createServer((request, response) => {
      this.receive(request)
        .then(() => {
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        })
        .catch((error: Error) => {
          response.writeHead(400, { 'content-type': 'text/plain' }).end(error.message);
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  /** The endpoint for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async receive(request: IncomingMessage): Promise<void> {
    if (request.method !== 'POST' || request.url !== '/v1/traces') throw new Error(`unexpected ${request.method} ${request.url}`);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const contentType = request.headers['content-type'] ?? '';
    this.contentTypes.push(contentType);
    if (contentType.startsWith('application/json')) {
      this.collect(JSON.parse(body.toString('utf8')) as OtlpRequest, (id) => id ?? '');
    } else if (contentType.startsWith('application/x-protobuf')) {
      const decoded = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { bytes: String, longs: Number });
      // `bytes: String` gives base64; ids are compared in hex.
      this.collect(decoded as OtlpRequest, (id) => Buffer.from(id ?? '', 'base64').toString('hex'));
    } else {
      throw new Error(`unsupported content type ${contentType}`);
    }
  }

  private collect(request: OtlpRequest, hex: (id: string | undefined) => string): void {
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = attributesOf(resourceSpans.resource?.attributes);
      const service = String(resource['service.name'] ?? '');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            service,
            traceId: hex(span.traceId),
            spanId: hex(span.spanId),
            parentSpanId: hex(span.parentSpanId),
            name: span.name ?? '',
            kind: span.kind ?? 0,
            attributes: attributesOf(span.attributes),
            links: (span.links ?? []).map((link) => ({
              traceId: hex(link.traceId),
              spanId: hex(link.spanId),
              attributes: attributesOf(link.attributes),
            })),
            events: (span.events ?? []).map((event) => ({ name: event.name ?? '', attributes: attributesOf(event.attributes) })),
            // JSON may carry the enum's name (STATUS_CODE_ERROR) instead of its number.
            status: { code: statusCode(span.status?.code), message: span.status?.message ?? '' },
            resource,
          });
        }
      }
    }
  }
}
