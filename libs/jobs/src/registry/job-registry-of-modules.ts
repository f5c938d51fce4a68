import type { Type } from '@nestjs/common';
import { catalogOfModules, providerClassesOf } from '@herald/events';
import { jobHandlersOf } from '../definition/job-handler.js';
import { JobRegistry } from './job-registry.js';

/**
 * The job registry of some modules without starting them (the ops CLI): the
 * same declarations the apps find at boot, read from the modules' metadata.
 */
export function jobRegistryOfModules(modules: readonly Type[]): JobRegistry {
  return JobRegistry.of(catalogOfModules(modules).jobs, providerClassesOf(modules).flatMap(jobHandlersOf));
}
