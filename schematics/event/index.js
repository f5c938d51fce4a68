// nest g -c @herald/schematics -p <context> event <EventName>   (or: event <context> <EventName>)
// Writes the event's class and spec in <context>/src/domain/events/, registers the class in the context's
// @BoundedContext events (inline, or the list it names), and exports it from the context's index.ts.
import { SchematicsException, apply, applyTemplates, chain, mergeWith, move, url } from '@angular-devkit/schematics';
import { posix } from 'node:path';
import ts from 'typescript';
import { chosenProject, className, findContext, findEvents, kebab, relativeImport } from '../project.js';
import { addImport, appendLine, appendToArray, constArray, decoratorArgument, formatFiles, parse, propertyValue } from '../source-edits.js';

export function event(options) {
  return (tree) => {
    // `event <context> <EventName>` gives both positionals; `-p <context> event <EventName>` gives one.
    const [project, typed] = options.path ? [options.name, options.path] : [chosenProject(tree, options), options.name];
    if (!project) throw new SchematicsException('name the context: nest g -c @herald/schematics -p <context> event <EventName>');
    const context = findContext(tree, kebab(project));
    const eventClass = className(typed);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(eventClass)) throw new SchematicsException(`"${typed}" is not a class name`);
    const taken = findEvents(tree).find((e) => e.name === eventClass);
    if (taken) throw new SchematicsException(`${eventClass} exists already (${taken.path})`);

    const dir = `${context.sourceRoot}/domain/events`;
    const fileName = kebab(eventClass);
    const eventFile = `${dir}/${fileName}.event.ts`;
    const written = [eventFile, eventFile.replace(/\.ts$/, '.spec.ts'), `${context.sourceRoot}/index.ts`];
    written.push(registerEvent(tree, context, eventClass, eventFile));
    appendLine(
      tree,
      `${context.sourceRoot}/index.ts`,
      `export { ${eventClass} } from '${relativeImport(`${context.sourceRoot}/index.ts`, eventFile)}';`,
    );

    const files = applyTemplates({
      context: context.name,
      eventClass,
      eventType: `${context.name}.${eventClass}`,
      fileName,
      moduleClass: context.moduleClass,
      moduleImport: relativeImport(eventFile, context.moduleFile),
    });
    return chain([mergeWith(apply(url('./files'), [files, move(dir)])), formatFiles(written)]);
  };
}

/**
 * Adds the class to the events its context's @BoundedContext registers: to the array written there, or to the
 * list it names (`events: userEvents`, declared in a file the module imports). Returns the file it changed.
 */
function registerEvent(tree, context, eventClass, eventFile) {
  const declaration = decoratorArgument(parse(tree, context.moduleFile), 'BoundedContext');
  const events = declaration && propertyValue(declaration, 'events');
  if (events && ts.isArrayLiteralExpression(events)) {
    appendToArray(tree, context.moduleFile, events, eventClass);
    addImport(tree, context.moduleFile, eventClass, relativeImport(context.moduleFile, eventFile));
    return context.moduleFile;
  }
  if (events && ts.isIdentifier(events)) {
    const listFile = importedFrom(tree, context.moduleFile, events.text);
    const list = listFile && constArray(parse(tree, listFile), events.text);
    if (list) {
      appendToArray(tree, listFile, list, eventClass);
      addImport(tree, listFile, eventClass, relativeImport(listFile, eventFile));
      return listFile;
    }
  }
  throw new SchematicsException(`${context.moduleFile}: @BoundedContext({ events }) is neither an array nor an imported list`);
}

/** The .ts file a relative import of `symbol` in `path` points to, or undefined. */
function importedFrom(tree, path, symbol) {
  for (const statement of parse(tree, path).statements.filter(ts.isImportDeclaration)) {
    const named = statement.importClause?.namedBindings;
    const imports = named && ts.isNamedImports(named) && named.elements.some((e) => e.name.text === symbol);
    const specifier = statement.moduleSpecifier.text;
    if (imports && specifier.startsWith('.')) {
      return posix.join(posix.dirname(path), specifier.replace(/\.js$/, '.ts'));
    }
  }
  return undefined;
}
