import { traceMetadata, traceparentOfJob } from './trace-metadata.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe(traceparentOfJob.name, () => {
  it("reads back what the producer put in the job's telemetry options", () => {
    expect(traceparentOfJob({ opts: { telemetry: { metadata: traceMetadata(TRACEPARENT) } } })).toBe(TRACEPARENT);
  });

  it.each([
    ['no options', {}],
    ['no telemetry', { opts: {} }],
    ['metadata that is not text', { opts: { telemetry: { metadata: 42 } } }],
    ['metadata that is not JSON', { opts: { telemetry: { metadata: '{nope' } } }],
    ['a carrier without traceparent', { opts: { telemetry: { metadata: '{"b3":"x"}' } } }],
    ['an oversized carrier', { opts: { telemetry: { metadata: JSON.stringify({ traceparent: 'x'.repeat(2000) }) } } }],
  ])('gives null for %s (job options come from Redis)', (_, job) => {
    expect(traceparentOfJob(job)).toBeNull();
  });
});
