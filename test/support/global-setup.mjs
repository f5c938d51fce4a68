// Once per `jest` run: a migrated template database from which every test file
// clones its own database in milliseconds (CREATE DATABASE ... TEMPLATE).
// Leftovers of an aborted earlier run are dropped first. Needs the built CLI
// (npm test builds first). Plain JS: Jest loads global setup outside its
// module mapper. Names must match test/support/env.ts.
import { execFileSync } from 'node:child_process';
import pg from 'pg';

const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TEMPLATE_DATABASE = 'herald_test_template';
const TEST_DATABASE_PREFIX = 'herald_t_';

export default async function globalSetup() {
  if (process.env.HERALD_TEST_TEMPLATE_READY === '1') return;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2', [
      TEMPLATE_DATABASE,
      `${TEST_DATABASE_PREFIX}%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(ADMIN_DATABASE_URL);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  // Through the built CLI: the same path operators use.
  execFileSync(process.execPath, ['dist/apps/cli/apps/cli/src/main.js', 'migration:run'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: templateUrl.toString() },
    stdio: 'pipe',
  });
  process.env.HERALD_TEST_TEMPLATE_READY = '1';
}
