import { v7 as uuidv7 } from 'uuid';
import { Correlation, currentTraceparent } from '@herald/observability';

export interface DomainEventMetadata {
  /** UUIDv7: unique, time-ordered; also the outbox row id and the consumers' idempotency key. */
  readonly eventId: string;
  readonly occurredAt: Date;
  readonly aggregateId: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  /**
   * W3C trace context of the work that recorded the event (null when not
   * traced): stored with the outbox row and carried by every job of the
   * event, so the job's spans join the request's trace, however late and by
   * whichever process the event is delivered.
   */
  readonly traceparent?: string | null;
}

export interface DomainEventClass<E extends DomainEvent = DomainEvent> {
  // `any` payload: each event class narrows it, and constructor parameters are contravariant.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see the comment above
  new (payload: any, metadata: DomainEventMetadata): E;
  /** Stable name stored in the outbox. NEVER rename: stored rows would no longer load. */
  readonly eventType: string;
  /** Bump when the payload shape changes incompatibly. */
  readonly schemaVersion: number;
}

/**
 * Base of every domain event. Subclasses declare `static eventType` and
 * `static schemaVersion` and a payload of plain JSON values.
 */
export abstract class DomainEvent<TPayload extends object = object> implements DomainEventMetadata {
  readonly eventId: string;
  readonly occurredAt: Date;
  readonly aggregateId: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly traceparent: string | null;

  constructor(
    readonly payload: Readonly<TPayload>,
    metadata: DomainEventMetadata,
  ) {
    this.eventId = metadata.eventId;
    this.occurredAt = metadata.occurredAt;
    this.aggregateId = metadata.aggregateId;
    this.correlationId = metadata.correlationId;
    this.causationId = metadata.causationId;
    this.traceparent = metadata.traceparent ?? null;
  }

  /** A new event in the current correlation scope (the request or job being handled). */
  static create<E extends DomainEvent>(this: DomainEventClass<E>, aggregateId: string, payload: E['payload']): E {
    const scope = Correlation.current();
    const eventId = uuidv7();
    return new this(payload, {
      eventId,
      occurredAt: new Date(),
      aggregateId,
      correlationId: scope?.correlationId ?? eventId,
      causationId: scope?.causationId ?? null,
      traceparent: currentTraceparent(),
    });
  }

  get eventType(): string {
    return (this.constructor as DomainEventClass).eventType;
  }

  get schemaVersion(): number {
    return (this.constructor as DomainEventClass).schemaVersion;
  }
}
