import type { DomainEvent, DomainEventClass } from '../domain/domain-event.js';
import type { BoundedContextOptions } from './bounded-context.js';
import { deliveryJobId } from '../delivery/delivery-id.js';
import type { JobTarget } from '../delivery/job-sink.js';
import type { OutboxRecord } from '../outbox/outbox-record.entity.js';
import type { ReactionDescriptor } from './reaction.js';

export class UnknownEventTypeError extends Error {
  constructor(eventType: string, schemaVersion: number) {
    super(`No event class registered for "${eventType}" v${schemaVersion}`);
    this.name = 'UnknownEventTypeError';
  }
}

/** The bounded contexts' declarations do not fit together: boot stops, naming what is wrong. */
export class EventCatalogError extends Error {
  constructor(problems: string[]) {
    super(`The event catalog is inconsistent:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'EventCatalogError';
  }
}

/** A stored outbox row, as far as loading its event goes. */
export type StoredEvent = Pick<
  OutboxRecord,
  'id' | 'eventType' | 'schemaVersion' | 'aggregateId' | 'payload' | 'correlationId' | 'causationId' | 'occurredAt'
> &
  Partial<Pick<OutboxRecord, 'traceparent'>>;

/**
 * Every event type the bounded contexts record (to load outbox rows back) and
 * every durable reaction to them. Built from what the contexts declare
 * (@BoundedContext, @Reaction): at boot from the Nest container, in the CLI
 * from the modules' metadata. `R` is the reaction as the builder has it.
 */
export class EventCatalog<R extends ReactionDescriptor = ReactionDescriptor> {
  private readonly eventsByType = new Map<string, DomainEventClass>();
  private readonly reactionsByEvent = new Map<DomainEventClass, R[]>();

  constructor(
    contexts: readonly BoundedContextOptions[],
    readonly reactions: readonly R[],
  ) {
    const problems: string[] = [];
    for (const context of contexts) {
      for (const eventClass of context.events) {
        const key = `${eventClass.eventType}@${eventClass.schemaVersion}`;
        if (this.eventsByType.has(key)) problems.push(`event type ${key} is registered twice (context "${context.name}")`);
        this.eventsByType.set(key, eventClass);
      }
    }
    const registered = new Set(this.eventsByType.values());
    const names = new Map<string, string>();
    const jobs = new Map<string, JobTarget>();
    for (const reaction of reactions) {
      const other = names.get(reaction.name);
      if (other) problems.push(`reaction name "${reaction.name}" is used twice (${other} and ${reaction.declaredAt})`);
      names.set(reaction.name, reaction.declaredAt);
      try {
        deliveryJobId(reaction.name, '00000000-0000-0000-0000-000000000000');
      } catch {
        problems.push(`reaction name "${reaction.name}" (${reaction.declaredAt}) may hold only letters, digits, "-", "_" and "."`);
      }
      if (!registered.has(reaction.event)) {
        problems.push(
          `${reaction.declaredAt} reacts to ${reaction.event.eventType}, which no bounded context registers (@BoundedContext events)`,
        );
      }
      const job = jobs.get(reaction.job.name);
      if (job && job !== reaction.job) problems.push(`two different jobs are named "${reaction.job.name}" (${reaction.declaredAt})`);
      jobs.set(reaction.job.name, reaction.job);
      this.reactionsByEvent.set(reaction.event, [...(this.reactionsByEvent.get(reaction.event) ?? []), reaction]);
    }
    if (problems.length > 0) throw new EventCatalogError(problems);
  }

  reactionsTo(event: DomainEvent): readonly R[] {
    return this.reactionsByEvent.get(event.constructor as DomainEventClass) ?? [];
  }

  /** Every event type the contexts record (any schema version), sorted. */
  get eventTypes(): string[] {
    return [...new Set([...this.eventsByType.values()].map((eventClass) => eventClass.eventType))].sort();
  }

  /** The reactions to every schema version of an event type (by name, as stored in the outbox). */
  reactionsToType(eventType: string): readonly R[] {
    return this.reactions.filter((reaction) => reaction.event.eventType === eventType);
  }

  /** Every job some reaction queues, once each. */
  get jobs(): JobTarget[] {
    return [...new Map(this.reactions.map((reaction) => [reaction.job.name, reaction.job])).values()];
  }

  /**
   * Stored rows back as events, in their order: the one load-or-poison loop
   * of the relay, replay and reconcile. A row that does not load (its type or
   * version is unknown here) is poison: returned with its error, keyed by id.
   */
  loadAll(rows: readonly StoredEvent[]): { events: DomainEvent[]; poison: Map<string, Error> } {
    const events: DomainEvent[] = [];
    const poison = new Map<string, Error>();
    for (const row of rows) {
      try {
        events.push(this.load(row));
      } catch (error) {
        poison.set(row.id, error instanceof Error ? error : new Error(String(error)));
      }
    }
    return { events, poison };
  }

  /** Turns a stored outbox row back into its event; throws for unknown types (a poison row). */
  load(row: StoredEvent): DomainEvent {
    const eventClass = this.eventsByType.get(`${row.eventType}@${row.schemaVersion}`);
    if (!eventClass) throw new UnknownEventTypeError(row.eventType, row.schemaVersion);
    return new eventClass(row.payload, {
      eventId: row.id,
      occurredAt: new Date(row.occurredAt),
      aggregateId: row.aggregateId,
      correlationId: row.correlationId,
      causationId: row.causationId,
      traceparent: row.traceparent,
    });
  }
}
