// nest g -c @herald/schematics -p contexts context <name>
// Writes libs/<name> (module with @BoundedContext, index.ts, spec, tsconfig.lib.json) and registers it everywhere
// a context is named: the apps' list (libs/contexts), nest-cli.json, the @herald/<name> alias (tsconfig.json,
// jest.config.mjs) and the layering rules (eslint.config.mjs: a context, used by others only through index.ts).
import { SchematicsException, apply, applyTemplates, chain, mergeWith, move, url } from '@angular-devkit/schematics';
import ts from 'typescript';
import { className, requireKebab } from '../project.js';
import { addImport, appendToArray, constArray, formatFiles, nodesOf, parse, updateJson } from '../source-edits.js';

const CONTEXTS_INDEX = 'libs/contexts/src/index.ts';

export function context(options) {
  return (tree) => {
    const name = requireKebab('context name', options.name);
    if (tree.getDir(`libs/${name}`).subfiles.length || tree.getDir(`libs/${name}`).subdirs.length) {
      throw new SchematicsException(`libs/${name} exists already`);
    }
    const moduleClass = `${className(name)}Module`;
    const alias = `@herald/${name}`;

    const contexts = constArray(parse(tree, CONTEXTS_INDEX), 'CONTEXT_MODULES');
    if (!contexts) throw new SchematicsException(`${CONTEXTS_INDEX} declares no CONTEXT_MODULES list`);
    appendToArray(tree, CONTEXTS_INDEX, contexts, moduleClass);
    addImport(tree, CONTEXTS_INDEX, moduleClass, alias);

    updateJson(tree, 'nest-cli.json', (config) => {
      config.projects[name] = {
        type: 'library',
        root: `libs/${name}`,
        entryFile: 'index',
        sourceRoot: `libs/${name}/src`,
        compilerOptions: { tsConfigPath: `libs/${name}/tsconfig.lib.json` },
      };
    });
    updateJson(tree, 'tsconfig.json', (config) => {
      const paths = { ...config.compilerOptions.paths, [alias]: [`./libs/${name}/src/index.ts`] };
      config.compilerOptions.paths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
    });
    // Jest maps each lib's alias from one list of names; ESLint's layering rules name the contexts.
    appendToArray(tree, 'jest.config.mjs', stringArrayWith(tree, 'jest.config.mjs', 'contexts'), `'${name}'`);
    const layering = constArray(parse(tree, 'eslint.config.mjs'), 'CONTEXTS');
    if (!layering) throw new SchematicsException('eslint.config.mjs declares no CONTEXTS list');
    appendToArray(tree, 'eslint.config.mjs', layering, `'${name}'`);

    const files = apply(url('./files'), [applyTemplates({ name, moduleClass }), move(`libs/${name}`)]);
    const written = [
      ...['index.ts', `${name}.module.ts`, `${name}.module.spec.ts`].map((file) => `libs/${name}/src/${file}`),
      `libs/${name}/tsconfig.lib.json`,
      CONTEXTS_INDEX,
      'nest-cli.json',
      'tsconfig.json',
      'jest.config.mjs',
      'eslint.config.mjs',
    ];
    return chain([mergeWith(files), formatFiles(written)]);
  };
}

/** The array literal of string literals in a file that holds `member` (jest.config.mjs's list of lib names). */
function stringArrayWith(tree, path, member) {
  for (const node of nodesOf(parse(tree, path))) {
    const strings = ts.isArrayLiteralExpression(node) && node.elements.every(ts.isStringLiteral);
    if (strings && node.elements.some((element) => element.text === member)) return node;
  }
  throw new SchematicsException(`${path} has no list of lib names (one with '${member}')`);
}
