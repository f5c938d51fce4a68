import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { activeTraceIds, batchSpanOptions, contextOf, currentTraceparent, inSpan, spanContextOf } from './tracing.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE}-${SPAN}-01`;

describe('trace context helpers', () => {
  const manager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });

  afterAll(() => {
    manager.disable();
    context.disable();
  });

  describe(spanContextOf.name, () => {
    it('reads a W3C traceparent', () => {
      expect(spanContextOf(TRACEPARENT)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
      expect(spanContextOf(`00-${TRACE}-${SPAN}-00`)?.traceFlags).toBe(0);
    });

    it.each([
      ['null', null],
      ['empty', ''],
      ['another version', `01-${TRACE}-${SPAN}-01`],
      ['upper case', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
      ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
      ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
      ['trailing data', `${TRACEPARENT}-extra`],
      ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ])('ignores %s (it comes from a row or a job: outside input)', (_, value) => {
      expect(spanContextOf(value)).toBeUndefined();
      expect(contextOf(value)).toBe(ROOT_CONTEXT);
    });
  });

  it('names the active span as a traceparent, and nothing outside a trace', () => {
    expect(currentTraceparent()).toBeNull();
    expect(activeTraceIds()).toEqual({});
    context.with(contextOf(TRACEPARENT), () => {
      expect(currentTraceparent()).toBe(TRACEPARENT);
      expect(activeTraceIds()).toEqual({ trace_id: TRACE, span_id: SPAN });
    });
  });

  it('runs work in a span under the given parent, passing its result and its error through', async () => {
    await expect(inSpan('step', { parent: contextOf(TRACEPARENT) }, async () => currentTraceparent())).resolves.toMatch(
      new RegExp(`^00-${TRACE}-`),
    );
    await expect(
      inSpan('step', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  describe(batchSpanOptions.name, () => {
    const other = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;

    it('joins the trace when every event of the batch comes from it, linking each recording span once', () => {
      const options = batchSpanOptions([TRACEPARENT, TRACEPARENT, `00-${TRACE}-${'c'.repeat(16)}-01`]);
      expect(trace.getSpanContext(options.parent!)).toMatchObject({ traceId: TRACE, spanId: SPAN });
      expect(options.links!.map((link) => link.context.spanId)).toEqual([SPAN, 'c'.repeat(16)]);
    });

    it('starts a trace of its own, linked to each, when the events come from several traces', () => {
      const options = batchSpanOptions([TRACEPARENT, other, null]);
      expect(options.parent).toBe(ROOT_CONTEXT);
      expect(options.links!.map((link) => link.context.traceId)).toEqual([TRACE, 'a'.repeat(32)]);
    });

    it('changes nothing when no event was traced', () => {
      expect(batchSpanOptions([null, undefined, 'garbage'])).toEqual({});
    });
  });
});
