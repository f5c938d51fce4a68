import type { Type } from '@nestjs/common';
import { boundedContextOf, type BoundedContextOptions } from './bounded-context.js';
import { EventCatalog } from './event-catalog.js';
import { unboundReactionsOf, type AnyClass, type BoundReaction } from './reaction.js';

/**
 * The catalog of some context modules without starting them (the ops CLI): the
 * same declarations, read from the modules' metadata — providers of each module
 * and of the modules it imports — instead of from live instances. Reactions
 * run without an instance (unboundReactionsOf), as a replay needs.
 */
export function catalogOfModules(contextModules: readonly Type[]): EventCatalog<BoundReaction> {
  const { contexts, providers } = declarationsOf(contextModules);
  return new EventCatalog(contexts, providers.flatMap(unboundReactionsOf));
}

/**
 * The provider classes of some modules and of the modules they import, read
 * from their metadata without starting them: what the job platform reads its
 * @JobHandler declarations from outside a Nest container (the ops CLI).
 */
export function providerClassesOf(modules: readonly Type[]): AnyClass[] {
  return declarationsOf(modules).providers;
}

function declarationsOf(modules: readonly Type[]): { contexts: BoundedContextOptions[]; providers: AnyClass[] } {
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
  modules.forEach(visit);
  return { contexts: [...new Set(contexts)], providers: [...providers] };
}

function metadataList(moduleClass: AnyClass, key: 'providers' | 'imports'): unknown[] {
  return (Reflect.getMetadata(key, moduleClass) as unknown[] | undefined) ?? [];
}
