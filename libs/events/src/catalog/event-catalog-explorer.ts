import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { boundedContextOf, type BoundedContextOptions } from './bounded-context.js';
import { EventCatalog } from './event-catalog.js';
import { boundReactionsOf, unboundReactionsOf, type AnyClass, type BoundReaction } from './reaction.js';

/**
 * The catalog of this process, found at boot the way @nestjs/cqrs finds its
 * handlers: the modules marked @BoundedContext give the event types, the
 * providers with @Reaction methods give the reactions, bound to their
 * instances. Built once every provider exists (onModuleInit), so boot fails
 * there, naming what does not fit.
 */
@Injectable()
export class EventCatalogExplorer implements OnModuleInit {
  private built?: EventCatalog<BoundReaction>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly modules: ModulesContainer,
  ) {}

  onModuleInit(): void {
    const contexts = [...this.modules.values()]
      .map((module) => boundedContextOf(module.metatype))
      .filter((context): context is BoundedContextOptions => context !== undefined);
    const reactions = this.discovery
      .getProviders()
      .filter((wrapper) => wrapper.isDependencyTreeStatic() && wrapper.instance && wrapper.metatype)
      .flatMap((wrapper) => boundReactionsOf(wrapper.instance as object));
    this.built = new EventCatalog(uniqueContexts(contexts), reactions);
  }

  get catalog(): EventCatalog<BoundReaction> {
    if (!this.built) throw new Error('The event catalog is built at module init; it was asked for before');
    return this.built;
  }
}

/**
 * The catalog of some context modules without starting them (the ops CLI): the
 * same declarations, read from the modules' metadata — providers of each module
 * and of the modules it imports — instead of from live instances. Reactions
 * run without an instance (unboundReactionsOf), as a replay needs.
 */
export function catalogOfModules(contextModules: readonly Type[]): EventCatalog<BoundReaction> {
  const contexts: BoundedContextOptions[] = [];
  const providers = new Set<AnyClass>();
  const seen = new Set<unknown>();
  const visit = (entry: unknown): void => {
    if (!entry || seen.has(entry)) return;
    seen.add(entry);
    const dynamic = typeof entry === 'object' ? (entry as { module?: AnyClass; providers?: unknown[]; imports?: unknown[] }) : undefined;
    const moduleClass = typeof entry === 'function' ? (entry as AnyClass) : dynamic?.module;
    if (!moduleClass) return;
    const context = boundedContextOf(moduleClass);
    if (context) contexts.push(context);
    const declaredProviders = [...metadataList(moduleClass, 'providers'), ...(dynamic?.providers ?? [])];
    for (const provider of declaredProviders) {
      const providerClass = typeof provider === 'function' ? (provider as AnyClass) : (provider as { useClass?: AnyClass })?.useClass;
      if (providerClass) providers.add(providerClass);
    }
    for (const imported of [...metadataList(moduleClass, 'imports'), ...(dynamic?.imports ?? [])]) visit(imported);
  };
  contextModules.forEach(visit);
  return new EventCatalog(uniqueContexts(contexts), [...providers].flatMap(unboundReactionsOf));
}

function metadataList(moduleClass: AnyClass, key: 'providers' | 'imports'): unknown[] {
  return (Reflect.getMetadata(key, moduleClass) as unknown[] | undefined) ?? [];
}

function uniqueContexts(contexts: BoundedContextOptions[]): BoundedContextOptions[] {
  return [...new Set(contexts)];
}
