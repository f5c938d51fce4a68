// The floor of scenario 3, in a process of its own as herald's API is: the same registration done by
// hand — node:http, JSON.parse, the same Argon2id hash, one INSERT of the user on a pg pool, 202 — with
// no validation, no framework, no outbox, no job. Herald over this floor is the price of herald (Nest,
// validation, the outbox row and its dispatch); this floor over raw hashes is the price of serving a
// hash over HTTP with a database write on this machine (HTTP on both ends, Postgres, the load generator).
//
// Env: DATABASE_URL, PORT (0: any free port), ARGON2 (JSON options). Prints "listening <port>".
import http from 'node:http';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';

const { DATABASE_URL, PORT = '0', ARGON2 } = process.env;
if (!DATABASE_URL || !ARGON2) {
  process.stderr.write('registration-floor: DATABASE_URL and ARGON2 are required\n');
  process.exit(2);
}
const argon2 = JSON.parse(ARGON2);
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });

const server = http.createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/users') {
    response.writeHead(404).end();
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    try {
      const { email, password } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const passwordHash = await hash(password, argon2);
      await pool.query('INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        uuidv7(),
        email,
        passwordHash,
      ]);
      response.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    } catch (error) {
      process.stderr.write(`registration-floor: ${error.message}\n`);
      response.writeHead(500).end();
    }
  });
});
server.listen(Number(PORT), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));

const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
