import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { boundedContextOf, type BoundedContextOptions } from './bounded-context.js';
import { EventCatalog } from './event-catalog.js';
import { boundReactionsOf, type BoundReaction } from './reaction.js';

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
    this.built = new EventCatalog([...new Set(contexts)], reactions);
  }

  get catalog(): EventCatalog<BoundReaction> {
    if (!this.built) throw new Error('The event catalog is built at module init; it was asked for before');
    return this.built;
  }
}
