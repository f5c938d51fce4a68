import { readFileSync } from 'node:fs';
import { envSchema } from './config.schema.js';
import {
  CONFIG_TABLE_END,
  CONFIG_TABLE_START,
  configurationTable,
  readmeTableCells,
  settingRows,
  tableCells,
  withConfigurationTable,
} from './config-docs.js';

describe('the configuration table', () => {
  it('has a row for every variable of the schema, with a type, a default and a one-line description', () => {
    const rows = settingRows();
    expect(rows.map((row) => row.name)).toEqual(Object.keys(envSchema.shape));
    for (const row of rows) {
      expect([row.name, row.type.length > 0, row.default.length > 0, row.description.length > 0]).toEqual([row.name, true, true, true]);
      expect([row.name, row.description]).not.toEqual([row.name, expect.stringContaining('\n')]);
    }
  });

  it('reads types and defaults from the schema where it can', () => {
    const byName = Object.fromEntries(settingRows().map((row) => [row.name, row]));
    expect(byName.PORT).toMatchObject({ type: 'integer 1–65535', default: '`3000`' });
    expect(byName.LOG_FORMAT).toMatchObject({ type: 'one of `auto`, `json`, `pretty`', default: '`auto`' });
    expect(byName.RATE_LIMIT_ENABLED).toMatchObject({ type: 'boolean', default: '`true`' });
    expect(byName.JOB_ATTEMPTS).toMatchObject({ type: 'integer 1–50', default: '`5`' });
    expect(byName.OUTBOX_GRACE_MS).toMatchObject({ type: 'integer ≥ 0' });
    expect(byName.ADMIN_USER).toMatchObject({ type: 'string', default: 'unset' });
    // Computed defaults are said in words by the schema's own documentation.
    expect(byName.ADMIN_READ_ONLY).toMatchObject({ type: 'boolean', default: '`true` in production, else `false`' });
  });

  it('escapes a pipe inside a cell, so a row keeps its four columns', () => {
    const table = configurationTable([{ name: 'X', type: 'a | b', default: 'unset', description: 'one | two' }]);
    expect(tableCells(table).at(-1)).toEqual(['`X`', 'a \\| b', 'unset', 'one \\| two']);
  });

  it('is in README.md as generated from the schema (run `npm run docs:config` when this fails)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const expected = tableCells(configurationTable());
    const actual = readmeTableCells(readme);
    const stale = expected.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(actual[i]));
    if (stale >= 0 || actual.length !== expected.length) {
      const at = stale >= 0 ? stale : Math.min(actual.length, expected.length);
      throw new Error(
        `README.md's configuration table is stale at row ${at} (README: ${JSON.stringify(actual[at])}, schema: ${JSON.stringify(expected[at])}): ` +
          'run `npm run docs:config` and commit README.md',
      );
    }
  });

  it('replaces only what lies between the markers', () => {
    const readme = `# title\n\nbefore\n${CONFIG_TABLE_START}\nold\n${CONFIG_TABLE_END}\nafter\n`;
    const updated = withConfigurationTable(readme, '| a |\n| --- |');
    expect(updated).toContain('before\n<!-- config-table:start');
    expect(updated).toContain('-->\n\n| a |\n| --- |\n\n<!-- config-table:end -->\nafter\n');
    expect(updated).not.toContain('old');
    expect(() => withConfigurationTable('# no markers\n')).toThrow(/markers/);
  });
});
