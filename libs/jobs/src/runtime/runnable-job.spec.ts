import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { defineJob } from '../definition/job-definition.js';
import { InvalidJobPayloadError } from '../definition/job-payload.js';
import { defineQueue } from '../definition/queue-definition.js';
import { defineScheduledJob } from '../definition/scheduled-job.js';
import { JobHandlerRegistryError } from '../registry/handler-pairing.js';
import { prepareRun, runnableJob } from './runnable-job.js';

const queue = defineQueue({ name: 'things' });
const shipThing = defineJob({ name: 'ship-thing', queue, data: { thingId: z.uuid() } });
const sweepThings = defineScheduledJob({ name: 'sweep-things', queue, everyMs: () => 60_000 });

/** What the handlers were called with. */
const calls: unknown[][] = [];
class Things {
  async ship(data: unknown, context: unknown) {
    calls.push(['ship', data, context]);
    return 'shipped';
  }
  async sweep(data: unknown, context: unknown) {
    calls.push(['sweep', data, context]);
  }
}
const things = new Things();
const shipping = runnableJob({ job: shipThing, handler: { job: shipThing, method: 'ship', declaredAt: 'Things.ship', instance: things } });
const sweeping = runnableJob({
  job: sweepThings,
  handler: { job: sweepThings, method: 'sweep', declaredAt: 'Things.sweep', instance: things },
});

/** A BullMQ job as a worker gets it (the fields a run reads). */
const bullJob = (name: string, id: string, data: unknown) =>
  ({ name, id, data, attemptsMade: 1, progress: 0, updateProgress: async () => undefined }) as unknown as Job;

beforeEach(() => calls.splice(0));

describe(runnableJob.name, () => {
  it('refuses a handler name that is not a method of its instance', () => {
    expect(() =>
      runnableJob({ job: shipThing, handler: { job: shipThing, method: 'gone', declaredAt: 'Things.gone', instance: things } }),
    ).toThrow(JobHandlerRegistryError);
  });

  it('knows the kind of its job', () => {
    expect([shipping.kind, sweeping.kind]).toEqual(['queued', 'scheduled']);
  });
});

describe(prepareRun.name, () => {
  const eventId = randomUUID();
  const thingId = randomUUID();

  it("calls a queued job's handler with its validated data, its delivery, under the event's correlation", async () => {
    const run = prepareRun(shipping, bullJob('ship-thing', `ship-on-created.${eventId}`, { eventId, correlationId: 'req-1', thingId }));
    expect(run.correlation).toEqual({ correlationId: 'req-1', causationId: eventId });
    expect(await run.call()).toBe('shipped');
    expect(calls).toEqual([
      [
        'ship',
        { eventId, correlationId: 'req-1', thingId },
        expect.objectContaining({
          jobId: `ship-on-created.${eventId}`,
          attempt: 2,
          delivery: expect.objectContaining({ key: { consumer: 'ship-on-created', eventId } }),
        }),
      ],
    ]);
  });

  it.each([
    ['a missing field', { eventId, correlationId: 'req-1' }, /thingId/],
    ['an unknown field', { eventId, correlationId: 'req-1', thingId, email: 'someone@example.com' }, /email|Unrecognized/],
    ['no event id', { correlationId: 'req-1', thingId }, /eventId/],
    ['data that is not an object', 'thing', /\(data\)/],
  ])('refuses %s before the handler sees anything', (_, data, reason) => {
    expect(() => prepareRun(shipping, bullJob('ship-thing', '1', data))).toThrow(InvalidJobPayloadError);
    expect(() => prepareRun(shipping, bullJob('ship-thing', '1', data))).toThrow(reason);
    expect(calls).toEqual([]);
  });

  it('runs a scheduled job with no data, as its own correlation', async () => {
    const run = prepareRun(sweeping, bullJob('sweep-things', 'repeat:sweep-things:1', {}));
    expect(run.correlation).toEqual({ correlationId: 'repeat:sweep-things:1' });
    await run.call();
    expect(calls).toEqual([['sweep', {}, { jobId: 'repeat:sweep-things:1', attempt: 2 }]]);
  });

  it('refuses data on a scheduled job', () => {
    expect(() => prepareRun(sweeping, bullJob('sweep-things', '1', { table: 'users' }))).toThrow(InvalidJobPayloadError);
  });
});
