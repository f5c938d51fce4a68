import type { DomainEvent, DomainEventClass } from './domain-event.js';
import type { EventCatalogEntry, JobSaga } from './job-saga.js';
import type { OutboxRecord } from './outbox-record.entity.js';

export class UnknownEventTypeError extends Error {
  constructor(eventType: string, schemaVersion: number) {
    super(`No event class registered for "${eventType}" v${schemaVersion}`);
    this.name = 'UnknownEventTypeError';
  }
}

/** The registry of event types (to load outbox rows) and of the sagas reacting to them. */
export class EventCatalog {
  private readonly eventsByType = new Map<string, DomainEventClass>();
  private readonly sagasByEvent = new Map<DomainEventClass, JobSaga[]>();

  constructor(entries: readonly EventCatalogEntry[]) {
    const sagaNames = new Set<string>();
    for (const entry of entries) {
      for (const eventClass of entry.events) {
        const key = `${eventClass.eventType}@${eventClass.schemaVersion}`;
        if (this.eventsByType.has(key)) throw new Error(`Event type ${key} is registered twice`);
        this.eventsByType.set(key, eventClass);
      }
      for (const saga of entry.sagas) {
        if (sagaNames.has(saga.name)) throw new Error(`Saga name "${saga.name}" is registered twice`);
        if (saga.name.includes(':')) throw new Error(`Saga name "${saga.name}" must not contain ':'`);
        sagaNames.add(saga.name);
        this.sagasByEvent.set(saga.reactsTo, [...(this.sagasByEvent.get(saga.reactsTo) ?? []), saga]);
      }
    }
  }

  sagasFor(event: DomainEvent): readonly JobSaga[] {
    return this.sagasByEvent.get(event.constructor as DomainEventClass) ?? [];
  }

  /** Turns a stored outbox row back into its event; throws for unknown types (a poison row). */
  load(
    row: Pick<
      OutboxRecord,
      'id' | 'eventType' | 'schemaVersion' | 'aggregateId' | 'payload' | 'correlationId' | 'causationId' | 'occurredAt'
    >,
  ): DomainEvent {
    const eventClass = this.eventsByType.get(`${row.eventType}@${row.schemaVersion}`);
    if (!eventClass) throw new UnknownEventTypeError(row.eventType, row.schemaVersion);
    return new eventClass(row.payload, {
      eventId: row.id,
      occurredAt: new Date(row.occurredAt),
      aggregateId: row.aggregateId,
      correlationId: row.correlationId,
      causationId: row.causationId,
    });
  }
}
