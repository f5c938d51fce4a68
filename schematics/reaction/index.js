// nest g -c @herald/schematics -p <context> reaction <Event> <reaction-name>
// Writes <context>/src/reactions/<reaction-name>.reaction.ts (the job, the @Reaction and the @JobHandler) and its
// spec, adds the class to the context module's providers (where the platform finds both at boot) and exports the
// class and its job from the context's index.ts. The job goes on the context's queue (one is written if it has none).
import { SchematicsException, apply, applyTemplates, chain, mergeWith, move, url } from '@angular-devkit/schematics';
import ts from 'typescript';
import {
  chosenProject,
  className,
  findContext,
  findEvents,
  findQueues,
  kebab,
  namesInUse,
  relativeImport,
  requireKebab,
} from '../project.js';
import {
  addImport,
  addProperty,
  appendLine,
  appendToArray,
  decoratorArgument,
  formatFiles,
  parse,
  propertyValue,
} from '../source-edits.js';

export function reaction(options) {
  return (tree) => {
    const project = chosenProject(tree, options);
    if (!project) throw new SchematicsException('name the context that reacts: nest g -c @herald/schematics -p <context> reaction …');
    const context = findContext(tree, project);
    const reactionName = requireKebab('reaction name', options.path);
    if (namesInUse(tree).has(reactionName)) {
      throw new SchematicsException(`"${reactionName}" names a reaction or job already (names are stored with every job): choose another`);
    }
    const event = findEvent(tree, options.name);
    const dir = `${context.sourceRoot}/reactions`;
    const reactionFile = `${dir}/${reactionName}.reaction.ts`;
    if (tree.exists(reactionFile)) throw new SchematicsException(`${reactionFile} exists already`);
    const reactionClass = className(reactionName);
    const jobConst = `${reactionClass}Job`;
    const queue = contextQueue(tree, context);
    const index = `${context.sourceRoot}/index.ts`;

    addProvider(tree, context, reactionClass, relativeImport(context.moduleFile, reactionFile));
    appendLine(tree, index, `export { ${jobConst}, ${reactionClass} } from '${relativeImport(index, reactionFile)}';`);

    const files = applyTemplates({
      eventClass: event.name,
      // An event of this context by its file; another context's through that context's public surface.
      eventImport: event.lib === context.lib ? relativeImport(reactionFile, event.path) : `@herald/${event.lib}`,
      fileName: reactionName,
      jobConst,
      queueConst: queue.name,
      queueImport: relativeImport(reactionFile, queue.path),
      reactionClass,
      reactionName,
    });
    const written = [reactionFile, reactionFile.replace(/\.ts$/, '.spec.ts'), context.moduleFile, index, queue.path];
    return chain([mergeWith(apply(url('./files'), [files, move(dir)])), formatFiles(written)]);
  };
}

/** The event class named (in any case the CLI left it), among every context's events. */
function findEvent(tree, typed) {
  const events = findEvents(tree);
  const found = events.filter((e) => kebab(e.name) === kebab(typed ?? ''));
  if (found.length === 1) return found[0];
  if (found.length > 1) throw new SchematicsException(`"${typed}" names several events: ${found.map((e) => e.path).join(', ')}`);
  throw new SchematicsException(`no event "${typed}"; the contexts declare: ${events.map((e) => e.name).join(', ')}`);
}

/** The context's queue; a context with none gets one named after it (queue names are part of Redis keys: chosen once). */
function contextQueue(tree, context) {
  const queues = findQueues(tree, context);
  if (queues.length === 1) return queues[0];
  if (queues.length > 1) {
    throw new SchematicsException(
      `${context.name} declares several queues (${queues.map((q) => q.name).join(', ')}): set the job's queue by hand`,
    );
  }
  const queue = { name: `${className(context.name)}Queue`, path: `${context.sourceRoot}/${context.name}-queue.ts` };
  tree.create(
    queue.path,
    [
      "import { defineQueue } from '@herald/jobs';",
      '',
      `/** The jobs of the ${context.name} context. The name is part of the Redis key space: NEVER rename it. */`,
      `export const ${queue.name} = defineQueue({ name: '${context.name}' });`,
      '',
    ].join('\n'),
  );
  return queue;
}

/** Adds the class to the providers of the context's @Module, where discovery finds its reaction and handler. */
function addProvider(tree, context, providerClass, specifier) {
  const module = decoratorArgument(parse(tree, context.moduleFile), 'Module');
  if (!module) throw new SchematicsException(`${context.moduleFile} has no @Module({ ... })`);
  const providers = propertyValue(module, 'providers');
  if (providers && ts.isArrayLiteralExpression(providers)) appendToArray(tree, context.moduleFile, providers, providerClass);
  else if (!providers) addProperty(tree, context.moduleFile, module, `providers: [${providerClass}]`);
  else throw new SchematicsException(`${context.moduleFile}: @Module({ providers }) is not an array`);
  addImport(tree, context.moduleFile, providerClass, specifier);
}
