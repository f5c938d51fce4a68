import { randomBytes } from 'node:crypto';
import { SendPasswordResetEmail, SendVerificationEmail } from '@herald/notifications';
import { AccountRequestReceived, ResolveAccountRequest, UserRegistered } from '@herald/users';
import { OtlpReceiver, SpanKindCode, type ReceivedSpan } from '../support/otlp-receiver.js';
import { tokenFromMail } from '../support/smtp-sink.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

/** A client's own trace context, so the test knows the trace id the whole path must carry. */
function clientTrace(): { traceId: string; parentSpanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  return { traceId, parentSpanId, traceparent: `00-${traceId}-${parentSpanId}-01` };
}

const VERIFICATION_JOB = `job ${SendVerificationEmail.name}`;
const RESOLUTION_JOB = `job ${ResolveAccountRequest.name}`;

/** The span id of the context the latest event of this type was recorded in (its outbox row's traceparent), and its trace id. */
async function recordedIn(stack: Stack, eventType: string): Promise<{ traceId: string; spanId: string; status: string }> {
  const [row] = (await stack.db.query(`SELECT status, traceparent FROM outbox WHERE event_type = $1 ORDER BY id DESC LIMIT 1`, [
    eventType,
  ])) as {
    status: string;
    traceparent: string;
  }[];
  const [, traceId, spanId] = row!.traceparent.split('-');
  return { traceId: traceId!, spanId: spanId!, status: row!.status };
}

/** The one span of that name (and service) in a trace; fails listing what the trace holds. */
function only(spans: readonly ReceivedSpan[], name: string, service: string): ReceivedSpan {
  const found = spans.filter((span) => span.name === name && span.service === service);
  if (found.length !== 1) {
    throw new Error(
      `expected one "${name}" span of ${service}, found ${found.length} among ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
    );
  }
  return found[0]!;
}

/**
 * The runs of a job in a trace, at least one. A job may run more than once — a worker whose event loop was
 * starved past its lock renewal loses the lock, and BullMQ runs the job again — and every run continues the
 * same trace. What happens once is the effect (the request is resolved once, the inbox sends once): the
 * tests find the run it happened in (runWith) and assert on that one.
 */
function runsOf(spans: readonly ReceivedSpan[], name: string, service: string): ReceivedSpan[] {
  const found = spans.filter((span) => span.name === name && span.service === service);
  if (found.length === 0) {
    throw new Error(`expected a "${name}" span of ${service} among ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
  }
  return found;
}

/** The one of `runs` that `effect` happened in (descends from). */
function runWith(spans: readonly ReceivedSpan[], runs: readonly ReceivedSpan[], effect: ReceivedSpan): ReceivedSpan {
  const holding = runs.filter((run) => descendsFrom(spans, effect, run));
  if (holding.length !== 1)
    throw new Error(`expected "${effect.name}" within one of ${runs.length} "${runs[0]?.name}" runs, found ${holding.length}`);
  return holding[0]!;
}

/** Whether `ancestor` is `span` itself or one of its ancestors within the spans received. */
function descendsFrom(spans: readonly ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(spans.map((candidate) => [candidate.spanId, candidate]));
  for (let current: ReceivedSpan | undefined = span; current; current = byId.get(current.parentSpanId)) {
    if (current.spanId === ancestor.spanId) return true;
  }
  return false;
}

describe('Tracing: one trace per event path, across the API and the worker (OTLP)', () => {
  const stack = new Stack();
  const receiver = new OtlpReceiver();
  const otel = (protocol: 'http/json' | 'http/protobuf') => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    // Export within a tenth of a second, so the test waits for spans, not for the default 5 s batch delay.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });

  beforeAll(async () => {
    await Promise.all([stack.start(), receiver.start()]);
  });

  // A test that failed half-way must not leave its apps to the next one (a worker's relay would take its rows).
  afterEach(() => stack.stopProcesses());

  afterAll(async () => {
    await stack.stop();
    await receiver.stop();
  });

  it('a registration is one trace: request, transaction, dispatch, its resolution, job, inbox and SMTP send, in both services', async () => {
    const api = await stack.api(otel('http/json')).startAndWaitReady();
    const worker = await stack.worker(otel('http/json')).startAndWaitReady();
    const client = clientTrace();

    const { response } = await stack.client.POST('/users', {
      body: { email: 'traced@example.com', password: 'a long and lovely passphrase' },
      headers: { traceparent: client.traceparent },
    });
    expect(response.status).toBe(202);
    await stack.smtp.waitForMail('traced@example.com', SendVerificationEmail.name);

    const spans = await waitFor('the trace to hold both services up to the SMTP send', () => {
      const trace = receiver.trace(client.traceId);
      const names = new Set(trace.map((span) => `${span.service}:${span.name}`));
      const complete = [
        'herald-api:unit of work',
        'herald-api:outbox dispatch',
        `herald-worker:${RESOLUTION_JOB}`,
        `herald-worker:${VERIFICATION_JOB}`,
        'herald-worker:smtp send',
      ];
      return complete.every((name) => names.has(name)) && trace.some((s) => s.kind === SpanKindCode.Server) ? trace : null;
    });

    // The request: the API's server span continues the client's trace.
    const request = spans.find((span) => span.service === 'herald-api' && span.kind === SpanKindCode.Server)!;
    expect(request.parentSpanId).toBe(client.parentSpanId);
    expect(request.attributes['http.route'] ?? request.name).toMatch(/\/users/);

    // The transaction, within the request, with its statements as children.
    const transaction = only(spans, 'unit of work', 'herald-api');
    expect(descendsFrom(spans, transaction, request)).toBe(true);
    const statements = spans.filter((span) => span.parentSpanId === transaction.spanId && span.attributes['db.system.name'] !== undefined);
    const statementsOld = spans.filter((span) => span.parentSpanId === transaction.spanId && span.attributes['db.system'] !== undefined);
    expect(statements.length + statementsOld.length).toBeGreaterThan(0);

    // The request's event stored the context it was recorded in; the dispatch after commit joined that trace.
    const requested = await recordedIn(stack, AccountRequestReceived.eventType);
    expect(requested.traceId).toBe(client.traceId);
    const requestRecordedIn = spans.find((span) => span.spanId === requested.spanId)!;
    expect(requestRecordedIn.service).toBe('herald-api');
    expect(descendsFrom(spans, requestRecordedIn, transaction)).toBe(true);
    const dispatch = only(spans, 'outbox dispatch', 'herald-api');
    expect(dispatch.kind).toBe(SpanKindCode.Producer);
    expect(dispatch.attributes['herald.dispatch.source']).toBe('post-commit');
    expect(dispatch.parentSpanId).toBe(requested.spanId);

    // The worker resolves the request in a job that is a child of that span (each run of it), and records
    // UserRegistered within it.
    const resolutions = runsOf(spans, RESOLUTION_JOB, 'herald-worker');
    for (const run of resolutions) expect(run).toMatchObject({ kind: SpanKindCode.Consumer, parentSpanId: requested.spanId });
    const registered = await recordedIn(stack, UserRegistered.eventType);
    expect(registered.traceId).toBe(client.traceId);
    runWith(
      spans,
      resolutions,
      spans.find((span) => span.spanId === registered.spanId)!,
    );

    // One SMTP send, within the email job, a child of the span that recorded UserRegistered; the inbox between them.
    const send = only(spans, 'smtp send', 'herald-worker');
    const job = runWith(spans, runsOf(spans, VERIFICATION_JOB, 'herald-worker'), send);
    expect(job.kind).toBe(SpanKindCode.Consumer);
    expect(job.parentSpanId).toBe(registered.spanId);
    const inbox = spans.find((span) => span.name === 'inbox delivery' && span.parentSpanId === job.spanId)!;
    expect(inbox).toBeDefined();
    expect(descendsFrom(spans, send, inbox)).toBe(true);
    expect(send.kind).toBe(SpanKindCode.Client);
    expect(spans.some((span) => span.service === 'herald-worker' && span.name === 'unit of work' && descendsFrom(spans, span, inbox))).toBe(
      true,
    );

    // Log lines carry the trace next to the correlation id.
    const done = await waitFor('the job to be logged as done', () =>
      worker.logs().find((line) => line.msg === 'job done' && line.jobName === SendVerificationEmail.name && line.span_id === job.spanId),
    );
    expect(done).toMatchObject({ trace_id: client.traceId, span_id: job.spanId });
    expect(typeof done.correlationId).toBe('string');
    expect(api.logs().some((line) => line.trace_id === client.traceId && typeof line.correlationId === 'string')).toBe(true);

    await Promise.all([api.stop(), worker.stop()]);
  });

  it('opening an emailed link (verification, reset) exports its token in no span: queries keep names, never values', async () => {
    const api = await stack.api(otel('http/protobuf')).startAndWaitReady();
    const worker = await stack.worker(otel('http/protobuf')).startAndWaitReady();
    const email = 'traced-link@example.com';
    expect((await stack.client.POST('/users', { body: { email, password: 'a long and lovely passphrase' } })).response.status).toBe(202);
    const verification = tokenFromMail((await stack.smtp.waitForMail(email, SendVerificationEmail.name))[0]!);
    expect((await stack.client.POST('/auth/password-reset', { body: { email } })).response.status).toBe(202);
    const reset = tokenFromMail((await stack.smtp.waitForMail(email, SendPasswordResetEmail.name))[0]!);

    // What a mail client does with the links: a GET of the page, token in the query (and a fragment the browser keeps).
    const opened = [
      { path: '/verify-email', token: verification },
      { path: '/reset-password', token: reset },
    ];
    for (const { path, token } of opened) {
      const page = await fetch(`${stack.apiUrl}${path}?token=${encodeURIComponent(token)}&utm_source=mail`);
      expect(page.status).toBe(200);
    }
    const serverSpans = await waitFor('the server and handler spans of both pages', () => {
      const spans = receiver.spans.filter((span) => span.service === 'herald-api');
      const server = opened.map(({ path }) =>
        spans.find((span) => span.kind === SpanKindCode.Server && span.attributes['url.path'] === path),
      );
      const handlers = opened.map(({ path }) =>
        spans.find((span) => typeof span.attributes['url.full'] === 'string' && span.attributes['url.full'].includes(path)),
      );
      return [...server, ...handlers].every(Boolean) ? { server: server as ReceivedSpan[], handlers: handlers as ReceivedSpan[] } : null;
    });
    await Promise.all([api.stop(), worker.stop()]); // flushes what is left in the batch

    for (const span of serverSpans.server) expect(span.attributes['url.query']).toBe('token=REDACTED&utm_source=REDACTED');
    for (const span of serverSpans.handlers) expect(span.attributes['url.full']).toMatch(/\?token=REDACTED&utm_source=REDACTED$/);
    // No part of either token anywhere: any span of either service, its attributes, events, links, status and resource.
    const exported = JSON.stringify(receiver.spans);
    for (const token of [verification, reset]) {
      for (const part of [token, ...token.split('.')]) expect(exported).not.toContain(part);
      expect(exported).not.toContain(encodeURIComponent(token));
    }
  });

  it("after a crash between commit and dispatch, the relay's late delivery still joins the request's trace (http/protobuf)", async () => {
    const crashingApi = await stack.faultyApi('crash-after-commit', otel('http/protobuf')).startAndWaitReady();
    const client = clientTrace();
    const request = await stack.client
      .POST('/users', {
        body: { email: 'traced-crash@example.com', password: 'a long and lovely passphrase' },
        headers: { traceparent: client.traceparent },
      })
      .catch((error: Error) => error);
    expect(String(request)).toMatch(/fetch failed/);
    expect(await crashingApi.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
    const stored = await recordedIn(stack, AccountRequestReceived.eventType);
    expect(stored.status).toBe('pending');
    expect(stored.traceId).toBe(client.traceId);

    const worker = await stack.worker(otel('http/protobuf')).startAndWaitReady();
    try {
      await expectRelayedDeliveryInTrace(client, stored);
    } finally {
      await worker.stop();
    }
  });

  /** The relayed delivery of the crashed request's event, up to its one SMTP send, in the request's trace. */
  async function expectRelayedDeliveryInTrace(client: { traceId: string }, stored: { spanId: string }) {
    await stack.smtp.waitForMail('traced-crash@example.com', SendVerificationEmail.name);
    const spans = await waitFor('the worker spans of the relayed event', () => {
      const trace = receiver.trace(client.traceId).filter((span) => span.service === 'herald-worker');
      return trace.some((span) => span.name === 'smtp send') &&
        trace.some((span) => span.name === 'outbox dispatch' && span.attributes['herald.dispatch.source'] === 'relay')
        ? trace
        : null;
    });
    const relayed = spans.filter((span) => span.name === 'outbox dispatch' && span.attributes['herald.dispatch.source'] === 'relay');
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.parentSpanId).toBe(stored.spanId);
    expect(relayed[0]!.links).toMatchObject([{ traceId: client.traceId, spanId: stored.spanId }]);
    const resolutions = runsOf(spans, RESOLUTION_JOB, 'herald-worker');
    for (const run of resolutions) expect(run.parentSpanId).toBe(stored.spanId);
    const send = only(spans, 'smtp send', 'herald-worker');
    const job = runWith(spans, runsOf(spans, VERIFICATION_JOB, 'herald-worker'), send);
    runWith(spans, resolutions, job);
    expect(receiver.contentTypes).toContain('application/x-protobuf');
  }

  it('a dispatch serving many requests is a trace of its own, linked to each request, and each job stays in its request’s trace', async () => {
    // Events committed but not dispatched (skip-dispatch): the relay then takes them in one batch.
    const api = await stack.faultyApi('skip-dispatch', { ...otel('http/json'), OUTBOX_GRACE_MS: '0' }).startAndWaitReady();
    const clients = Array.from({ length: 3 }, clientTrace);
    for (const [i, client] of clients.entries()) {
      const { response } = await stack.client.POST('/users', {
        body: { email: `traced-batch-${i}@example.com`, password: 'a long and lovely passphrase' },
        headers: { traceparent: client.traceparent },
      });
      expect(response.status).toBe(202);
    }
    await api.stop();
    const pending = (await stack.db.query(`SELECT traceparent FROM outbox WHERE status = 'pending' ORDER BY id`)) as {
      traceparent: string;
    }[];
    expect(pending.map((row) => row.traceparent.split('-')[1])).toEqual(clients.map((client) => client.traceId));

    const worker = await stack.worker(otel('http/json')).startAndWaitReady();
    for (let i = 0; i < clients.length; i++) await stack.smtp.waitForMail(`traced-batch-${i}@example.com`, SendVerificationEmail.name);
    const batch = await waitFor('the relay dispatch linked to the three requests', () =>
      receiver.spans.find(
        (span) => span.name === 'outbox dispatch' && span.service === 'herald-worker' && span.links.length === clients.length,
      ),
    );
    expect(clients.map((client) => client.traceId)).not.toContain(batch.traceId);
    expect(batch.parentSpanId).toBe('');
    expect(new Set(batch.links.map((link) => link.traceId))).toEqual(new Set(clients.map((client) => client.traceId)));
    for (const client of clients) {
      await waitFor(`the job of trace ${client.traceId}`, () =>
        receiver.trace(client.traceId).some((span) => span.name === VERIFICATION_JOB && span.service === 'herald-worker'),
      );
    }
    await worker.stop();
  });
});
