import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { EventCatalogExplorer } from '@herald/events';
import { jobHandlersOf, type DeclaredJobHandler } from '../definition/job-handler.js';
import { JobRegistry } from './job-registry.js';

/** A provider instance and the job handlers its class declares. */
export interface HandlerProvider {
  readonly instance: object;
  readonly handlers: readonly DeclaredJobHandler[];
}

/**
 * The job registry of this process, found the way the event catalog is: the
 * event catalog gives the jobs the reactions queue, the providers' @JobHandler
 * declarations give the scheduled ones. Built once every provider exists
 * (at the latest at bootstrap, so an app does not start with declarations
 * that do not fit: JobRegistryError names them).
 */
@Injectable()
export class JobRegistryExplorer implements OnApplicationBootstrap {
  private built?: JobRegistry;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly catalog: EventCatalogExplorer,
  ) {}

  onApplicationBootstrap(): void {
    this.built ??= this.build();
  }

  get registry(): JobRegistry {
    this.built ??= this.build();
    return this.built;
  }

  private build(): JobRegistry {
    return JobRegistry.of(
      this.catalog.catalog.jobs,
      this.handlerProviders().flatMap((provider) => provider.handlers),
    );
  }

  /** The provider instances that declare job handlers (the worker binds them). */
  handlerProviders(): HandlerProvider[] {
    return this.discovery
      .getProviders()
      .filter((wrapper) => wrapper.isDependencyTreeStatic() && wrapper.instance)
      .map((wrapper) => {
        const instance = wrapper.instance as object;
        return { instance, handlers: jobHandlersOf(instance.constructor) };
      })
      .filter((provider) => provider.handlers.length > 0);
  }
}
