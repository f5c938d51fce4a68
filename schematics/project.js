// What the schematics read of the project: names, the contexts (nest-cli.json's libraries whose module is a
// @BoundedContext), their events and queues. Found in the files, the way the platform finds them at boot.
import { SchematicsException, strings } from '@angular-devkit/schematics';
import { posix } from 'node:path';
import ts from 'typescript';
import { decoratorArgument, nodesOf, parse, propertyValue, readText } from './source-edits.js';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** A name the Nest CLI may have turned to kebab-case, as a class name: `invoice-issued` and `InvoiceIssued` → `InvoiceIssued`. */
export const className = (name) => strings.classify(kebab(name));

/** The Nest CLI's own normalization of a name (`SmsSent` → `sms-sent`), so names compare however they were typed. */
export const kebab = (name) =>
  name
    .replace(/([a-z\d])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/\s/g, '-');

export function requireKebab(what, name) {
  if (typeof name !== 'string' || !KEBAB.test(name)) {
    throw new SchematicsException(`${what} "${name}": use lower-case words joined by "-" (for example "welcome-sms-on-registration")`);
  }
  return name;
}

/** Every file under a directory of the tree, recursively. */
export function filesUnder(tree, dir) {
  const files = [];
  const visit = (entry) => {
    entry.subfiles.forEach((file) => files.push(posix.join(entry.path, file).replace(/^\//, '')));
    entry.subdirs.forEach((sub) => visit(entry.dir(sub)));
  };
  visit(tree.getDir(dir));
  return files;
}

const sourceFiles = (tree, dir) => filesUnder(tree, dir).filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'));

/**
 * The project the Nest CLI generates in: `-p <project>`, or the one picked when it asked (it then passes only
 * that project's source root).
 */
export function chosenProject(tree, options) {
  if (options.project) return options.project;
  const projects = Object.entries(JSON.parse(readText(tree, 'nest-cli.json')).projects ?? {});
  return projects.find(([, p]) => options.sourceRoot && p.sourceRoot === options.sourceRoot)?.[0];
}

/**
 * A bounded context by its project name (`-p`): its folder, and the module that carries @BoundedContext.
 * Refuses a project that is not one (an app, a platform lib), naming those that are.
 */
export function findContext(tree, project) {
  const nestCli = JSON.parse(readText(tree, 'nest-cli.json'));
  const known = Object.entries(nestCli.projects ?? {}).filter(([, p]) => p.type === 'library' && p.sourceRoot);
  const contexts = known.map(([name, p]) => ({ name, sourceRoot: p.sourceRoot, module: contextModuleIn(tree, p.sourceRoot) }));
  const context = contexts.find((c) => c.name === project && c.module);
  if (!context) {
    const names = contexts.filter((c) => c.module).map((c) => c.name);
    throw new SchematicsException(`"${project}" is not a bounded context; name one with -p: ${names.join(', ')}`);
  }
  const root = posix.dirname(context.sourceRoot);
  return { name: context.name, sourceRoot: context.sourceRoot, root, lib: posix.basename(root), ...context.module };
}

/** The file and class of the module that declares @BoundedContext directly in a lib's source root. */
function contextModuleIn(tree, sourceRoot) {
  for (const file of tree.getDir(sourceRoot).subfiles.filter((f) => f.endsWith('.module.ts'))) {
    const path = `${sourceRoot}/${file}`;
    const sourceFile = parse(tree, path);
    if (!decoratorArgument(sourceFile, 'BoundedContext')) continue;
    const moduleClass = sourceFile.statements.find((s) => ts.isClassDeclaration(s) && s.name);
    if (moduleClass) return { moduleFile: path, moduleClass: moduleClass.name.text };
  }
  return undefined;
}

/** Every event class the libs declare (`export class X extends DomainEvent`), with its lib and file. */
export function findEvents(tree) {
  const events = [];
  for (const lib of tree.getDir('libs').subdirs) {
    for (const path of sourceFiles(tree, `libs/${lib}/src`)) {
      for (const statement of parse(tree, path).statements) {
        const isEvent =
          ts.isClassDeclaration(statement) &&
          statement.name &&
          statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
          statement.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText() === 'DomainEvent'));
        if (isEvent) events.push({ name: statement.name.text, lib, path });
      }
    }
  }
  return events;
}

/**
 * The names reactions and jobs use (`@Reaction(E, { name })`, `defineJob({ name })`, a scheduled job's): each is
 * stored with every job and inbox record, so a new one must differ from all of them.
 */
export function namesInUse(tree) {
  const names = new Set();
  for (const lib of tree.getDir('libs').subdirs) {
    for (const path of sourceFiles(tree, `libs/${lib}/src`)) {
      for (const node of nodesOf(parse(tree, path))) {
        if (!ts.isCallExpression(node) || !/^(Reaction|define\w*Job)$/.test(node.expression.getText())) continue;
        for (const options of node.arguments.filter(ts.isObjectLiteralExpression)) {
          const name = propertyValue(options, 'name');
          if (name && ts.isStringLiteral(name)) names.add(name.text);
        }
      }
    }
  }
  return names;
}

/** The queues a context declares (`export const X = defineQueue(...)`), with their files. */
export function findQueues(tree, context) {
  const queues = [];
  for (const path of sourceFiles(tree, context.sourceRoot)) {
    for (const node of nodesOf(parse(tree, path))) {
      const declares =
        ts.isVariableDeclaration(node) &&
        node.initializer &&
        ts.isCallExpression(node.initializer) &&
        node.initializer.expression.getText() === 'defineQueue';
      if (declares) queues.push({ name: node.name.getText(), path });
    }
  }
  return queues;
}

/** The specifier that imports `target` (a .ts file) from `fromFile`, as ESM wants it (`./x.js`). */
export function relativeImport(fromFile, target) {
  const relative = posix.relative(posix.dirname(fromFile), target).replace(/\.ts$/, '.js');
  return relative.startsWith('.') ? relative : `./${relative}`;
}
