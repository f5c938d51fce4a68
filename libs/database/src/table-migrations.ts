import 'reflect-metadata';
import type { MigrationInterface } from 'typeorm';

/** A migration class as TypeORM takes it: its name ends in the 13-digit timestamp that orders it. */
export type MigrationClass = new () => MigrationInterface;

/** The migrations of the tables one module owns (a bounded context's, or a platform lib's such as the outbox). */
export interface TableMigrations {
  /**
   * Where its migration files are, from the repository root: `migration:generate --in` writes there,
   * and a test checks that every file there is listed.
   */
  readonly folder: string;
  /** Every migration of the folder. Listed explicitly (no globs): the build output is ESM. */
  readonly migrations: readonly MigrationClass[];
}

const TABLE_MIGRATIONS = Symbol('herald:table-migrations');

/**
 * Declares on a Nest module the migrations of the tables it owns, as
 * `@BoundedContext` declares its events: the owner keeps its migrations beside
 * its entities, and the platform collects them (migrationsOf) without naming
 * any owner.
 */
export function OwnsTables(declaration: TableMigrations): ClassDecorator {
  return (moduleClass) => Reflect.defineMetadata(TABLE_MIGRATIONS, declaration, moduleClass);
}

/** The declarations of some modules and of the modules they import, each once, in the order found. */
export function tableMigrationsOf(modules: readonly unknown[]): TableMigrations[] {
  const found = new Set<TableMigrations>();
  const seen = new Set<unknown>();
  const visit = (entry: unknown): void => {
    if (!entry || seen.has(entry)) return;
    seen.add(entry);
    const dynamic = typeof entry === 'object' ? (entry as { module?: object; imports?: unknown[] }) : undefined;
    const moduleClass = typeof entry === 'function' ? entry : dynamic?.module;
    if (!moduleClass) return;
    const declaration = Reflect.getOwnMetadata(TABLE_MIGRATIONS, moduleClass) as TableMigrations | undefined;
    if (declaration) found.add(declaration);
    const imports = [...((Reflect.getMetadata('imports', moduleClass) as unknown[] | undefined) ?? []), ...(dynamic?.imports ?? [])];
    imports.forEach(visit);
  };
  modules.forEach(visit);
  return [...found];
}

/**
 * Every migration the modules declare, in the order they run: by the
 * timestamp in the class name, whoever owns it (TypeORM orders them the same
 * way). Two migrations with one name or one timestamp are refused: the
 * migrations table of a deployed database records each by name.
 */
export function migrationsOf(modules: readonly unknown[]): MigrationClass[] {
  const migrations = tableMigrationsOf(modules).flatMap((declaration) => declaration.migrations);
  const byTimestamp = new Map<number, MigrationClass>();
  for (const migration of migrations) {
    const timestamp = timestampOf(migration);
    const other = byTimestamp.get(timestamp);
    if (other) throw new Error(`migrations ${other.name} and ${migration.name} share the timestamp ${timestamp}: give each its own`);
    byTimestamp.set(timestamp, migration);
  }
  return [...byTimestamp.entries()].sort(([a], [b]) => a - b).map(([, migration]) => migration);
}

function timestampOf(migration: MigrationClass): number {
  const match = /\d{13}$/.exec(migration.name);
  if (!match)
    throw new Error(`migration ${migration.name}: its class name must end in a 13-digit timestamp (e.g. AddUserLocale1796300000000)`);
  return Number(match[0]);
}
