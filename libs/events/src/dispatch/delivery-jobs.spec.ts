import type { BoundReaction } from '../catalog/reaction.js';
import { DomainEvent } from '../domain/domain-event.js';
import { deliveryJobs } from './delivery-jobs.js';

class ThingCreated extends DomainEvent<{ name: string }> {
  static readonly eventType = 'test.ThingCreated';
  static readonly schemaVersion = 1;
}

const reaction = (name: string, toJobInput: BoundReaction['toJobInput']): BoundReaction => ({
  name,
  event: ThingCreated,
  job: { name: `${name}-job`, queue: { name: 'things' } },
  mintsCredentials: false,
  declaredAt: `Test.${name}`,
  toJobInput,
});

const event = new ThingCreated(
  { name: 'widget' },
  {
    eventId: '0190a000-0000-7000-8000-000000000001',
    occurredAt: new Date('2025-01-10T09:00:00Z'),
    aggregateId: '0190a000-0000-7000-9000-000000000001',
    correlationId: 'req-42',
    causationId: null,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
);

const ship = reaction('ship', (created) => ({ thingId: created.aggregateId }));

describe(deliveryJobs.name, () => {
  it("makes each reaction's job: its fields with the event's ids, an id from (reaction, event), the time given and the event's trace", () => {
    const { jobs, failures } = deliveryJobs(event, [ship], { timestamp: 1234 });

    expect(failures).toEqual([]);
    expect(jobs).toEqual([
      {
        reaction: ship,
        job: {
          target: ship.job,
          jobId: `ship.${event.eventId}`,
          data: { thingId: event.aggregateId, eventId: event.eventId, correlationId: 'req-42' },
          timestamp: 1234,
          traceparent: event.traceparent,
        },
      },
    ]);
  });

  it("gives a replay's jobs ids of their own, with the same fields", () => {
    const [first] = deliveryJobs(event, [ship], { timestamp: 1 }).jobs;
    const [replayed] = deliveryJobs(event, [ship], { timestamp: 2, replayId: 'fix-42' }).jobs;

    expect(replayed!.job.jobId).toBe(`ship.${event.eventId}.rfix-42`);
    expect(replayed!.job.data).toEqual(first!.job.data);
  });

  it("keeps the event's ids over fields of the same name a reaction returns", () => {
    const sneaky = reaction('sneaky', () => ({ eventId: 'forged', correlationId: 'forged' }));

    expect(deliveryJobs(event, [sneaky], { timestamp: 1 }).jobs[0]!.job.data).toEqual({ eventId: event.eventId, correlationId: 'req-42' });
  });

  it('reports a reaction that throws as its own failure and still makes the other jobs', () => {
    const broken = reaction('broken', () => {
      throw new Error('no thing id');
    });

    const { jobs, failures } = deliveryJobs(event, [broken, ship], { timestamp: 1 });

    expect(jobs.map((job) => job.reaction.name)).toEqual(['ship']);
    expect(failures).toEqual([{ reaction: 'broken', error: new Error('no thing id') }]);
  });

  it('reports a reaction name that cannot make a job id as that reaction failing', () => {
    const { jobs, failures } = deliveryJobs(event, [reaction('bad:name', () => ({}))], { timestamp: 1 });

    expect(jobs).toEqual([]);
    expect(failures).toEqual([
      { reaction: 'bad:name', error: expect.objectContaining({ message: expect.stringMatching(/not a valid delivery id/) }) },
    ]);
  });
});
