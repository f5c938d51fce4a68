// Small, checked edits of existing TypeScript and JSON files: find the node with the TypeScript compiler's parser,
// insert text at its position, and let Prettier lay the file out afterwards (formatFiles). No regex on code.
import { SchematicsException } from '@angular-devkit/schematics';
import * as prettier from 'prettier';
import ts from 'typescript';

export function readText(tree, path) {
  const content = tree.read(path);
  if (!content) throw new SchematicsException(`${path} does not exist`);
  return content.toString('utf8');
}

export function parse(tree, path) {
  return ts.createSourceFile(path, readText(tree, path), ts.ScriptTarget.Latest, true);
}

/** Every node of a file, depth first. */
export function* nodesOf(node) {
  yield node;
  for (const child of node.getChildren()) yield* nodesOf(child);
}

/** The object literal of a class decorator such as `@Module({...})` in a file, or undefined. */
export function decoratorArgument(sourceFile, decoratorName) {
  for (const node of nodesOf(sourceFile)) {
    if (ts.isDecorator(node) && ts.isCallExpression(node.expression) && node.expression.expression.getText() === decoratorName) {
      const [argument] = node.expression.arguments;
      if (argument && ts.isObjectLiteralExpression(argument)) return argument;
    }
  }
  return undefined;
}

/** The initializer of `name:` in an object literal, or undefined. */
export function propertyValue(objectLiteral, name) {
  const property = objectLiteral.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText() === name);
  return property?.initializer;
}

/** The array literal a `const name = [...]` (or `[...] as const`) declares in a file, or undefined. */
export function constArray(sourceFile, name) {
  for (const node of nodesOf(sourceFile)) {
    if (ts.isVariableDeclaration(node) && node.name.getText() === name && node.initializer) {
      const value = ts.isAsExpression(node.initializer) ? node.initializer.expression : node.initializer;
      if (ts.isArrayLiteralExpression(value)) return value;
    }
  }
  return undefined;
}

/** Appends an element to an array literal of `path` (a no-op when an element with that text is there). */
export function appendToArray(tree, path, array, elementText) {
  if (array.elements.some((element) => element.getText() === elementText)) return;
  const recorder = tree.beginUpdate(path);
  const last = array.elements[array.elements.length - 1];
  if (last) recorder.insertRight(last.getEnd(), `, ${elementText}`);
  else recorder.insertRight(array.getStart() + 1, elementText);
  tree.commitUpdate(recorder);
}

/** Adds `property: value` to an object literal of `path`. */
export function addProperty(tree, path, objectLiteral, propertyText) {
  const recorder = tree.beginUpdate(path);
  const last = objectLiteral.properties[objectLiteral.properties.length - 1];
  if (last) recorder.insertRight(last.getEnd(), `, ${propertyText}`);
  else recorder.insertRight(objectLiteral.getStart() + 1, propertyText);
  tree.commitUpdate(recorder);
}

/** Adds `import { symbol } from 'specifier'` to `path`, to an existing import of that specifier when there is one. */
export function addImport(tree, path, symbol, specifier) {
  const sourceFile = parse(tree, path);
  const imports = sourceFile.statements.filter(ts.isImportDeclaration);
  const same = imports.find((i) => i.moduleSpecifier.text === specifier && !i.importClause?.isTypeOnly);
  const named = same?.importClause?.namedBindings;
  const recorder = tree.beginUpdate(path);
  if (named && ts.isNamedImports(named)) {
    if (named.elements.some((element) => element.name.getText() === symbol)) return;
    const last = named.elements[named.elements.length - 1];
    recorder.insertRight(last.getEnd(), `, ${symbol}`);
  } else {
    const after = imports[imports.length - 1];
    const text = `import { ${symbol} } from '${specifier}';\n`;
    if (after) recorder.insertRight(after.getEnd(), `\n${text.trimEnd()}`);
    else recorder.insertLeft(0, text);
  }
  tree.commitUpdate(recorder);
}

/** Appends a line to a file (an export to a public surface), unless the file has it already. */
export function appendLine(tree, path, line) {
  const text = readText(tree, path);
  if (text.split('\n').includes(line)) return;
  tree.overwrite(path, `${text.replace(/\n*$/, '\n')}${line}\n`);
}

/** A JSON file, changed by `change` and written back. */
export function updateJson(tree, path, change) {
  const json = JSON.parse(readText(tree, path));
  change(json);
  tree.overwrite(path, `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * Lays out the files a schematic wrote the way `npm run lint` checks them (the repository's Prettier
 * configuration), so that generated code passes `prettier --check` as it is.
 */
export function formatFiles(paths) {
  return async (tree) => {
    for (const path of new Set(paths)) {
      if (!tree.exists(path)) continue;
      const filepath = `${process.cwd()}/${path.replace(/^\//, '')}`;
      const options = (await prettier.resolveConfig(filepath)) ?? {};
      const text = readText(tree, path);
      const formatted = await prettier.format(text, { ...options, filepath });
      if (formatted !== text) tree.overwrite(path, formatted);
    }
    return tree;
  };
}
