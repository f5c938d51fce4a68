import { Injectable, Module } from '@nestjs/common';
import { BoundedContext } from './bounded-context.js';
import { DomainEvent } from '../domain/domain-event.js';
import { EventCatalog, EventCatalogError, UnknownEventTypeError } from './event-catalog.js';
import { catalogOfModules } from './catalog-of-modules.js';
import type { JobTarget } from '../delivery/job-sink.js';
import { Reaction, reactionsOf, type ReactionDescriptor } from './reaction.js';

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

const queue = { name: 'things' };
const shipThing: JobTarget<{ thingId: string }> = { name: 'ship-thing', queue };
const archiveThing: JobTarget<{ thingId: string }> = { name: 'archive-thing', queue };

const reaction = (name: string, event: ReactionDescriptor['event'], job: JobTarget = shipThing): ReactionDescriptor => ({
  name,
  event,
  job,
  mintsCredentials: false,
  declaredAt: `Test.${name}`,
});

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
    it('refuses an event type registered twice in the same version, naming the context', () => {
      expect(
        () =>
          new EventCatalog(
            [
              { name: 'a', events: [ThingCreated] },
              { name: 'b', events: [ThingCreatedAgain] },
            ],
            [],
          ),
      ).toThrow(/event type test\.ThingCreated@1 is registered twice \(context "b"\)/);
    });

    it('accepts two versions of the same event type', () => {
      expect(() => new EventCatalog([{ name: 'a', events: [ThingCreated, ThingCreatedV2] }], [])).not.toThrow();
    });

    it('refuses a reaction name used twice, naming both places', () => {
      const contexts = [{ name: 'a', events: [ThingCreated, ThingDeleted] }];
      const reactions = [reaction('notify', ThingCreated), { ...reaction('notify', ThingDeleted), declaredAt: 'Other.notify' }];

      expect(() => new EventCatalog(contexts, reactions)).toThrow(
        /reaction name "notify" is used twice \(Test\.notify and Other\.notify\)/,
      );
    });

    it('refuses a reaction name that cannot be part of a job id', () => {
      expect(() => new EventCatalog([{ name: 'a', events: [ThingCreated] }], [reaction('notify:owner', ThingCreated)])).toThrow(
        EventCatalogError,
      );
    });

    it('refuses a reaction to an event no context registers', () => {
      expect(() => new EventCatalog([{ name: 'a', events: [ThingCreated] }], [reaction('on-deleted', ThingDeleted)])).toThrow(
        /Test\.on-deleted reacts to test\.ThingDeleted, which no bounded context registers/,
      );
    });

    it('refuses two different jobs of the same name', () => {
      const impostor: JobTarget = { name: 'ship-thing', queue };
      const reactions = [reaction('a', ThingCreated), reaction('b', ThingCreated, impostor)];

      expect(() => new EventCatalog([{ name: 'a', events: [ThingCreated] }], reactions)).toThrow(
        /two different jobs are named "ship-thing"/,
      );
    });
  });

  describe('load', () => {
    const catalog = new EventCatalog([{ name: 'things', events: [ThingCreated, ThingCreatedV2, ThingDeleted] }], []);

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

  describe('loadAll', () => {
    const catalog = new EventCatalog([{ name: 'things', events: [ThingCreated] }], []);
    const rowWith = (n: number, eventType = 'test.ThingCreated') => ({ ...row, id: `01938a8e-7c00-7000-8000-00000000010${n}`, eventType });

    it('loads every row it can, in order, and returns each one it cannot as poison with its error', () => {
      const { events, poison } = catalog.loadAll([rowWith(1), rowWith(2, 'test.ThingRenamed'), rowWith(3)]);

      expect(events.map((event) => event.eventId)).toEqual([rowWith(1).id, rowWith(3).id]);
      expect(events.every((event) => event instanceof ThingCreated)).toBe(true);
      expect([...poison.keys()]).toEqual([rowWith(2).id]);
      expect(poison.get(rowWith(2).id)).toEqual(new UnknownEventTypeError('test.ThingRenamed', 1));
    });
  });

  describe('reactionsTo and jobs', () => {
    const onCreatedA = reaction('on-created-a', ThingCreated);
    const onCreatedB = reaction('on-created-b', ThingCreated, archiveThing);
    const onDeleted = reaction('on-deleted', ThingDeleted);
    const catalog = new EventCatalog(
      [
        { name: 'a', events: [ThingCreated, ThingDeleted] },
        { name: 'b', events: [ThingCreatedV2] },
      ],
      [onCreatedA, onDeleted, onCreatedB],
    );

    it('returns the reactions to that event class only, across contexts', () => {
      expect(catalog.reactionsTo(ThingCreated.create('agg-1', { name: 'widget' }))).toEqual([onCreatedA, onCreatedB]);
      expect(catalog.reactionsTo(ThingDeleted.create('agg-1', {}))).toEqual([onDeleted]);
    });

    it('returns nothing for an event class without reactions', () => {
      expect(catalog.reactionsTo(ThingCreatedV2.create('agg-1', { name: 'widget', colour: 'red' }))).toEqual([]);
    });

    it('also finds the reactions of a loaded event', () => {
      expect(catalog.reactionsTo(catalog.load(row))).toEqual([onCreatedA, onCreatedB]);
    });

    it('lists every job the reactions queue, once each', () => {
      expect(catalog.jobs).toEqual([shipThing, archiveThing]);
    });
  });
});

// A context as the modules declare it: the CLI reads this without starting anything.
@Injectable()
class ThingReactions {
  @Reaction(ThingCreated, { name: 'ship-on-created', job: shipThing })
  ship(event: ThingCreated) {
    return { thingId: event.aggregateId };
  }

  @Reaction(ThingDeleted, { name: 'archive-on-deleted', job: archiveThing })
  archive(event: ThingDeleted) {
    return { thingId: event.aggregateId };
  }

  // Compile-time checks of @Reaction: the method must take the event and return the job's fields.
  // @ts-expect-error -- returns fields the job does not have
  @Reaction(ThingCreated, { name: 'wrong-fields', job: shipThing })
  wrongFields(event: ThingCreated) {
    return { name: event.payload.name };
  }

  // @ts-expect-error -- takes another event than the one it reacts to
  @Reaction(ThingCreated, { name: 'wrong-event', job: shipThing })
  wrongEvent(event: ThingDeleted) {
    return { thingId: event.aggregateId };
  }
}

@Module({ providers: [ThingReactions] })
class ThingInternalsModule {}

@BoundedContext({ name: 'things', events: [ThingCreated, ThingDeleted] })
@Module({ imports: [ThingInternalsModule] })
class ThingsModule {}

describe(catalogOfModules.name, () => {
  it("finds the contexts' events and the reactions of their providers, also in imported modules", () => {
    const catalog = catalogOfModules([ThingsModule]);

    expect(catalog.load(row)).toBeInstanceOf(ThingCreated);
    expect(catalog.reactions.map((r) => [r.name, r.event, r.declaredAt])).toEqual(
      expect.arrayContaining([
        ['ship-on-created', ThingCreated, 'ThingReactions.ship'],
        ['archive-on-deleted', ThingDeleted, 'ThingReactions.archive'],
      ]),
    );
  });

  it('matches what the decorators stored on the class', () => {
    expect(reactionsOf(ThingReactions).map((r) => r.name)).toEqual([
      'ship-on-created',
      'archive-on-deleted',
      'wrong-fields',
      'wrong-event',
    ]);
  });
});
