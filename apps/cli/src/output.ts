// Human output is aligned text (console.table draws boxes and an index column
// that only get in the way of grep and copy-paste); --json prints the data itself.

export type Cell = string | number | boolean | null | undefined;

/** Rows as an aligned table; numbers are right-aligned, empty cells show "-". */
export function formatTable(rows: readonly Record<string, Cell>[], columns: readonly string[] = Object.keys(rows[0] ?? {})): string {
  const text = (cell: Cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => text(row[column]).length)));
  const line = (cells: Cell[], numeric: boolean[]) =>
    cells
      .map((cell, i) => (numeric[i] ? text(cell).padStart(widths[i]!) : text(cell).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const numeric = columns.map((column) => rows.length > 0 && rows.every((row) => typeof row[column] === 'number' || row[column] == null));
  return [
    line([...columns], numeric),
    line(
      widths.map((width) => '-'.repeat(width)),
      numeric,
    ),
    ...rows.map((row) =>
      line(
        columns.map((column) => row[column]),
        numeric,
      ),
    ),
  ].join('\n');
}

/** A duration the way an operator reads it: "45s", "12m 5s", "3h", "2d 4h". */
export function formatAge(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m, s] = [Math.floor(seconds / 86_400), Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60];
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) => `${big}${bigUnit}${small ? ` ${small}${smallUnit}` : ''}`;
  if (d > 0) return two(d, 'd', h, 'h');
  if (h > 0) return two(h, 'h', m, 'm');
  if (m > 0) return two(m, 'm', s, 's');
  return `${s}s`;
}

/** An ISO timestamp (UTC) from epoch milliseconds or a Date; null stays null. */
export function isoTime(value: number | Date | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Shortens a long message to one table cell. */
export function oneLine(text: string | null | undefined, max = 80): string | null {
  if (!text) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Prints `data` as JSON, or the human text. */
export function print(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}
