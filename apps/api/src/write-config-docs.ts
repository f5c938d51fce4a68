import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as prettier from 'prettier';
import { withConfigurationTable } from '@herald/config';

/**
 * `npm run docs:config`: writes the README's configuration table (between its
 * config-table markers) from the config schema, where each variable carries its
 * type, default and description; prettier then aligns it as `npm run lint`
 * expects. libs/config/src/config-docs.spec.ts fails when the table is stale.
 */
async function main(): Promise<void> {
  const target = resolve(process.argv[2] ?? 'README.md');
  const updated = withConfigurationTable(readFileSync(target, 'utf8'));
  const options = (await prettier.resolveConfig(target)) ?? {};
  writeFileSync(target, await prettier.format(updated, { ...options, filepath: target }));
  process.stdout.write(`wrote the configuration table of ${target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`write-config-docs: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
