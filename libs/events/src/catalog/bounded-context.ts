import 'reflect-metadata';
import type { DomainEventClass } from '../domain/domain-event.js';

export interface BoundedContextOptions {
  /** The context's name, for messages. */
  readonly name: string;
  /** Every event type the context records in the outbox: a stored row is loaded back through its class. */
  readonly events: readonly DomainEventClass[];
}

const CONTEXT = Symbol('herald:bounded-context');

/**
 * Marks a Nest module as a bounded context and names the events it owns.
 * Its providers' @Reaction methods and @JobHandler methods are found at boot.
 */
export function BoundedContext(options: BoundedContextOptions): ClassDecorator {
  return (moduleClass) => Reflect.defineMetadata(CONTEXT, options, moduleClass);
}

/** The context a module class declares, or undefined. */
export function boundedContextOf(moduleClass: object): BoundedContextOptions | undefined {
  return Reflect.getOwnMetadata(CONTEXT, moduleClass) as BoundedContextOptions | undefined;
}
