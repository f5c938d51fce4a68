import { z } from 'zod';
import { envSchema, settingDocs } from './config.schema.js';

/** One row of the README's configuration table. */
export interface SettingRow {
  readonly name: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

/** The markers around the generated table in README.md. */
export const CONFIG_TABLE_START = '<!-- config-table:start: generated from libs/config/src/config.schema.ts by `npm run docs:config` -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

const code = (value: unknown) => `\`${String(value)}\``;

/** The integer bounds a number schema's checks set (positive() is > 0, so ≥ 1 for an integer). */
function integerRange(schema: z.ZodNumber): string {
  let low: number | undefined;
  let high: number | undefined;
  for (const check of schema.def.checks ?? []) {
    const { check: kind, value, inclusive } = check._zod.def as { check: string; value?: number; inclusive?: boolean };
    if (kind === 'greater_than' && value !== undefined) low = Math.max(low ?? -Infinity, inclusive ? value : value + 1);
    if (kind === 'less_than' && value !== undefined) high = Math.min(high ?? Infinity, inclusive ? value : value - 1);
  }
  if (low !== undefined && high !== undefined) return `integer ${low}–${high}`;
  if (low !== undefined) return `integer ≥ ${low}`;
  return high !== undefined ? `integer ≤ ${high}` : 'integer';
}

/** The type a reader sees, read from the schema; a schema it cannot read must say its type in its SettingDoc. */
function typeOf(name: string, schema: z.ZodType): string {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return typeOf(name, schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.map(code).join(', ')}`;
  if (schema instanceof z.ZodNumber) return integerRange(schema);
  if (schema instanceof z.ZodPipe && schema.out instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodString) return 'string';
  throw new Error(`${name}: the schema does not tell its type; give \`type\` in its setting()`);
}

/** The default a reader sees: the schema's literal default, or unset. */
function defaultOf(name: string, schema: z.ZodType): string {
  if (schema instanceof z.ZodDefault) return code(schema.def.defaultValue);
  if (schema instanceof z.ZodOptional) return 'unset';
  throw new Error(`${name}: the schema does not tell its default; give \`default\` in its setting()`);
}

/** Every variable of the schema, in its order, with what the table says of it. */
export function settingRows(): SettingRow[] {
  return Object.entries(envSchema.shape).map(([name, schema]) => {
    const doc = settingDocs.get(schema);
    if (!doc) throw new Error(`${name} has no description: declare it with setting() in config.schema.ts`);
    return {
      name,
      type: doc.type ?? typeOf(name, schema),
      default: doc.default ?? defaultOf(name, schema),
      description: doc.description,
    };
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The configuration table as Markdown (columns unaligned; prettier aligns them in README.md). */
export function configurationTable(rows: readonly SettingRow[] = settingRows()): string {
  return [
    '| variable | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${[code(row.name), row.type, row.default, row.description].map(cell).join(' | ')} |`),
  ].join('\n');
}

function markedRange(readme: string): { start: number; end: number } {
  const start = readme.indexOf(CONFIG_TABLE_START);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${CONFIG_TABLE_START} … ${CONFIG_TABLE_END} markers`);
  return { start: start + CONFIG_TABLE_START.length, end };
}

/** The README with the text between its markers replaced by the generated table. */
export function withConfigurationTable(readme: string, table = configurationTable()): string {
  const { start, end } = markedRange(readme);
  return `${readme.slice(0, start)}\n\n${table}\n\n${readme.slice(end)}`;
}

/**
 * The cells of a Markdown table, row by row, whitespace and alignment
 * dropped: what a table says, whether or not prettier has aligned it.
 */
export function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((text) => text.trim().replace(/^-{3,}$/, '---')),
    );
}

/** The table between the README's markers, as cells. */
export function readmeTableCells(readme: string): string[][] {
  const { start, end } = markedRange(readme);
  return tableCells(readme.slice(start, end));
}
