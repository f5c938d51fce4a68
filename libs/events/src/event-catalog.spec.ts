import type { AnyJob } from '@herald/jobs';
import { DomainEvent } from './domain-event.js';
import { EventCatalog, UnknownEventTypeError } from './event-catalog.js';
import type { JobSaga } from './job-saga.js';

class ThingCreated extends DomainEvent<{ name: string }> {
  static readonly eventType = 'test.ThingCreated';
  static readonly schemaVersion = 1;
}

class ThingCreatedV2 extends DomainEvent<{ name: string; colour: string }> {
  static readonly eventType = 'test.ThingCreated';
  static readonly schemaVersion = 2;
}

class ThingDeleted extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'test.ThingDeleted';
  static readonly schemaVersion = 1;
}

class ThingCreatedAgain extends DomainEvent<{ name: string }> {
  static readonly eventType = 'test.ThingCreated';
  static readonly schemaVersion = 1;
}

function sagaFor(name: string, reactsTo: JobSaga['reactsTo']): JobSaga {
  return {
    name,
    reactsTo,
    toJob: (event) =>
      ({
        name: 'send-welcome-email',
        data: { eventId: event.eventId, userId: event.aggregateId, correlationId: event.correlationId },
      }) as AnyJob,
  };
}

const row = {
  id: '01938a8e-7c00-7000-8000-000000000001',
  eventType: 'test.ThingCreated',
  schemaVersion: 1,
  aggregateId: '01938a8e-7c00-7000-8000-000000000002',
  payload: { name: 'widget' },
  correlationId: 'req-42',
  causationId: 'cause-7',
  occurredAt: new Date('2025-01-01T10:00:00Z'),
};

describe(EventCatalog.name, () => {
  describe('constructor', () => {
    it('refuses an event type registered twice in the same version', () => {
      expect(
        () =>
          new EventCatalog([
            { events: [ThingCreated], sagas: [] },
            { events: [ThingCreatedAgain], sagas: [] },
          ]),
      ).toThrow(/test\.ThingCreated@1 is registered twice/);
    });

    it('accepts two versions of the same event type', () => {
      expect(() => new EventCatalog([{ events: [ThingCreated, ThingCreatedV2], sagas: [] }])).not.toThrow();
    });

    it('refuses a saga name registered twice', () => {
      const entries = [
        { events: [ThingCreated], sagas: [sagaFor('notify', ThingCreated)] },
        { events: [ThingDeleted], sagas: [sagaFor('notify', ThingDeleted)] },
      ];

      expect(() => new EventCatalog(entries)).toThrow(/Saga name "notify" is registered twice/);
    });

    it('refuses a saga name containing ":"', () => {
      expect(() => new EventCatalog([{ events: [ThingCreated], sagas: [sagaFor('notify:owner', ThingCreated)] }])).toThrow(
        /must not contain ':'/,
      );
    });
  });

  describe('load', () => {
    const catalog = new EventCatalog([{ events: [ThingCreated, ThingCreatedV2, ThingDeleted], sagas: [] }]);

    it('rebuilds the event of the right class with its payload and metadata', () => {
      const event = catalog.load(row);

      expect(event).toBeInstanceOf(ThingCreated);
      expect(event.payload).toEqual({ name: 'widget' });
      expect(event).toMatchObject({
        eventId: row.id,
        aggregateId: row.aggregateId,
        correlationId: 'req-42',
        causationId: 'cause-7',
        occurredAt: new Date('2025-01-01T10:00:00Z'),
      });
      expect(event.eventType).toBe('test.ThingCreated');
    });

    it('picks the class by schema version', () => {
      const event = catalog.load({ ...row, schemaVersion: 2, payload: { name: 'widget', colour: 'red' } });

      expect(event).toBeInstanceOf(ThingCreatedV2);
      expect(event.schemaVersion).toBe(2);
    });

    it('accepts occurredAt as an ISO string and keeps a null causationId', () => {
      const event = catalog.load({ ...row, occurredAt: '2025-01-01T10:00:00.000Z' as unknown as Date, causationId: null });

      expect(event.occurredAt).toEqual(new Date('2025-01-01T10:00:00Z'));
      expect(event.causationId).toBeNull();
    });

    it('throws UnknownEventTypeError for an unknown type', () => {
      expect(() => catalog.load({ ...row, eventType: 'test.ThingRenamed' })).toThrow(UnknownEventTypeError);
    });

    it('throws UnknownEventTypeError for an unknown version of a known type', () => {
      expect(() => catalog.load({ ...row, schemaVersion: 3 })).toThrow(new UnknownEventTypeError('test.ThingCreated', 3));
    });
  });

  describe('sagasFor', () => {
    const onCreatedA = sagaFor('on-created-a', ThingCreated);
    const onCreatedB = sagaFor('on-created-b', ThingCreated);
    const onDeleted = sagaFor('on-deleted', ThingDeleted);
    const catalog = new EventCatalog([
      { events: [ThingCreated, ThingDeleted], sagas: [onCreatedA, onDeleted] },
      { events: [ThingCreatedV2], sagas: [onCreatedB] },
    ]);

    it('returns the sagas of that event class only, across entries', () => {
      expect(catalog.sagasFor(ThingCreated.create('agg-1', { name: 'widget' }))).toEqual([onCreatedA, onCreatedB]);
      expect(catalog.sagasFor(ThingDeleted.create('agg-1', {}))).toEqual([onDeleted]);
    });

    it('returns nothing for an event class without sagas', () => {
      expect(catalog.sagasFor(ThingCreatedV2.create('agg-1', { name: 'widget', colour: 'red' }))).toEqual([]);
    });

    it('also finds the sagas of a loaded event', () => {
      expect(catalog.sagasFor(catalog.load(row))).toEqual([onCreatedA, onCreatedB]);
    });
  });
});
