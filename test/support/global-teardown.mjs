// Drops this run's template database (test files drop their own clones).
import pg from 'pg';

export default async function globalTeardown() {
  const template = process.env.HERALD_TEST_TEMPLATE;
  if (!template) return;
  delete process.env.HERALD_TEST_TEMPLATE;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
