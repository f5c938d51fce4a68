import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import type { DomainEvent } from '@herald/events';
import { Metrics } from '@herald/observability';
import { userEvents } from '../domain/events/user-events.js';

/**
 * In-process reaction to every users event: a business metric per event type
 * (`herald_domain_events_total{type}`, for the dashboards) and one structured
 * log line per event, with ids only (no address, no name).
 *
 * Like every @EventsHandler here, it runs after the event's transaction
 * committed, once per dispatch, in the process that dispatched it (the API
 * right after commit, or the worker's relay later); it may run again when the
 * relay redelivers an event, and not at all if the process dies between
 * marking the event dispatched and publishing it. Counts are therefore close,
 * not exact: work that must happen belongs in a durable reaction (a job).
 */
@EventsHandler(...userEvents)
export class UserActivityTelemetry implements IEventHandler<DomainEvent> {
  private readonly logger = new Logger('UserActivity');
  private readonly events;

  constructor(metrics: Metrics) {
    this.events = metrics.counter({
      name: 'herald_domain_events_total',
      help: 'Domain events published after commit in this process, by type',
      labelNames: ['type'],
    });
  }

  handle(event: DomainEvent): void {
    this.events.inc({ type: event.eventType });
    this.logger.log({
      msg: 'domain event',
      type: event.eventType,
      eventId: event.eventId,
      aggregateId: event.aggregateId,
      correlationId: event.correlationId,
      causationId: event.causationId,
    });
  }
}
