import type { EntityManager } from 'typeorm';

/** A pg-boss `Db` that runs pg-boss's statements on `manager`'s transaction (`dataSource.transaction(manager => ...)`). */
export function typeormDb(manager: EntityManager): { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };
