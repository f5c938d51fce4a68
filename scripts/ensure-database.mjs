// Creates the database named in DATABASE_URL when it does not exist yet.
import pg from 'pg';

const url = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/herald');
const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
if (!/^[A-Za-z0-9_]+$/.test(name)) {
  console.error(`ensure-database: refusing unusual database name "${name}"`);
  process.exit(1);
}
const admin = new URL(url);
admin.pathname = '/postgres';
const client = new pg.Client({ connectionString: admin.toString() });
await client.connect();
try {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount === 0) {
    await client.query(`CREATE DATABASE "${name}"`);
    console.log(`ensure-database: created database ${name}`);
  }
} finally {
  await client.end();
}
