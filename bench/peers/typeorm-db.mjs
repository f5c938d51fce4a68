// pg-boss's `db` option for a TypeORM transaction. pg-boss ships adapters for Knex, Kysely, Drizzle and
// Prisma, and documents the interface for any other client (`executeSql(text, values) -> { rows }`):
// this is that interface over the transaction's own query runner, so `boss.send(..., { db })` writes
// the job in the same transaction as the caller's rows, and a rollback takes the job with it.

/** A pg-boss `Db` that runs pg-boss's statements on `manager`'s transaction (`dataSource.transaction(manager => ...)`). */
export function typeormDb(manager) {
  const queryRunner = manager.queryRunner;
  if (!queryRunner?.isTransactionActive) throw new Error('typeormDb: the entity manager is not in a transaction');
  return {
    async executeSql(text, values = []) {
      const result = await queryRunner.query(text, values, true);
      return { rows: result.records ?? [] };
    },
  };
}
