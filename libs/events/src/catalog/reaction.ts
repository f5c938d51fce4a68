import 'reflect-metadata';
import type { DomainEvent, DomainEventClass } from '../domain/domain-event.js';
import type { JobTarget } from '../delivery/job-sink.js';

/** How a durable reaction is declared: event → job. */
export interface ReactionOptions<Input extends object> {
  /** Stable and unique: part of every job id and inbox record it creates. NEVER rename. Letters, digits, "-", "_". */
  readonly name: string;
  /** The job it queues (a context's job definition). */
  readonly job: JobTarget<Input>;
  /**
   * Its job mints a credential and mails it (a verification or reset link):
   * delivering it again sends a new, working link and may revoke the one the
   * user holds. `outbox:replay` warns of every such delivery, dry run or not.
   */
  readonly mintsCredentials?: boolean;
}

/** A reaction as the catalog knows it. */
export interface ReactionDescriptor {
  readonly name: string;
  readonly event: DomainEventClass;
  readonly job: JobTarget;
  /** See ReactionOptions.mintsCredentials. */
  readonly mintsCredentials: boolean;
  /** Where it was declared (class.method), for error messages. */
  readonly declaredAt: string;
}

/** A reaction bound to its provider instance: turns an event into the job's fields. */
export interface BoundReaction extends ReactionDescriptor {
  readonly toJobInput: (event: DomainEvent) => object;
}

const REACTIONS = Symbol('herald:reactions');

/** A class, as decorators see it. */
export type AnyClass = abstract new (...args: never[]) => unknown;

interface StoredReaction extends Omit<ReactionDescriptor, 'declaredAt'> {
  readonly method: string | symbol;
}

/**
 * Declares a durable reaction: when an event of this type is committed, the
 * method turns it into the fields of one job, which is queued with the id
 * `<name>.<eventId>` (so a repeat adds nothing) and delivered to its handler.
 * The method must be pure and fast (no I/O): it runs in the dispatch path.
 * It must not use what the provider's constructor injected either: the ops
 * CLI's `outbox:replay` calls it without an instance (see unboundReactionsOf).
 * Found at boot among the providers (like @nestjs/cqrs's @EventsHandler).
 *
 * The compiler checks both ends: the method takes the event and returns the
 * job's input type.
 */
export function Reaction<E extends DomainEvent, Input extends object>(event: DomainEventClass<E>, options: ReactionOptions<Input>) {
  return <M extends (event: E) => Input>(target: object, method: string | symbol, _descriptor: TypedPropertyDescriptor<M>): void => {
    const stored: StoredReaction[] = Reflect.getOwnMetadata(REACTIONS, target.constructor) ?? [];
    const reaction: StoredReaction = {
      name: options.name,
      event,
      job: options.job,
      mintsCredentials: options.mintsCredentials ?? false,
      method,
    };
    Reflect.defineMetadata(REACTIONS, [...stored, reaction], target.constructor);
  };
}

/** The reactions a provider class declares (empty for most classes). */
export function reactionsOf(providerClass: AnyClass): ReactionDescriptor[] {
  return storedReactions(providerClass).map(({ method, ...reaction }) => ({
    ...reaction,
    declaredAt: `${providerClass.name}.${String(method)}`,
  }));
}

/** The reactions of a provider instance, bound to it. */
export function boundReactionsOf(instance: object): BoundReaction[] {
  const providerClass = instance.constructor as AnyClass;
  return storedReactions(providerClass).map(({ method, ...reaction }) => {
    const fn = (instance as Record<string | symbol, (event: DomainEvent) => object>)[method]!;
    return { ...reaction, declaredAt: `${providerClass.name}.${String(method)}`, toJobInput: (event) => fn.call(instance, event) };
  });
}

/**
 * The reactions a provider class declares, callable without an instance (the
 * ops CLI, which starts no Nest container): each method runs on a bare object
 * of the class's prototype, so it may call the class's other methods but finds
 * no injected dependency — which a pure reaction does not need.
 */
export function unboundReactionsOf(providerClass: AnyClass): BoundReaction[] {
  const bare = Object.create(providerClass.prototype as object) as object;
  return storedReactions(providerClass).map(({ method, ...reaction }) => {
    const fn = (bare as Record<string | symbol, (event: DomainEvent) => object>)[method]!;
    return { ...reaction, declaredAt: `${providerClass.name}.${String(method)}`, toJobInput: (event) => fn.call(bare, event) };
  });
}

function storedReactions(providerClass: AnyClass): StoredReaction[] {
  return (Reflect.getOwnMetadata(REACTIONS, providerClass) as StoredReaction[] | undefined) ?? [];
}
