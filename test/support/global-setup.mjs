// Once per `jest` run: a migrated template database of this run, from which
// every test file clones its own database in milliseconds (CREATE DATABASE ...
// TEMPLATE). Names carry their creation time, so leftovers of runs that died
// are dropped after a few hours without touching a run that is going on now.
// Needs the built CLI (npm test builds first). Plain JS: Jest loads global
// setup outside its module mapper.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LEFTOVER_AGE_SECONDS = 3 * 3600;

export default async function globalSetup() {
  if (process.env.HERALD_TEST_TEMPLATE) return; // the other project's setup already made it
  const now = Math.floor(Date.now() / 1000);
  const template = `herald_tpl_${now}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname ~ '^herald_(t|tpl)_[0-9]+_'`);
    for (const { datname } of rows) {
      const createdAt = Number(datname.split('_')[2]);
      if (now - createdAt > LEFTOVER_AGE_SECONDS) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(ADMIN_DATABASE_URL);
  templateUrl.pathname = `/${template}`;
  // Through the built CLI: the same path operators use.
  execFileSync(process.execPath, ['dist/apps/cli/apps/cli/src/main.js', 'migration:run'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: templateUrl.toString() },
    stdio: 'pipe',
  });
  // Inherited by the test workers Jest starts next.
  process.env.HERALD_TEST_TEMPLATE = template;
}
