import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A private PostgreSQL cluster (initdb + pg_ctl) on a spare port, for tests
 * that stop Postgres. Never the shared one. Postgres refuses to run as root,
 * so the cluster belongs to the `postgres` user when the tests run as root.
 */
export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'herald-pg-'));
  port = 0;

  private run(args: string[]): void {
    const [command, ...rest] = args;
    const asRoot = process.getuid?.() === 0;
    execFileSync(asRoot ? 'runuser' : join(BIN, command!), asRoot ? ['-u', 'postgres', '--', join(BIN, command!), ...rest] : rest, {
      stdio: 'pipe',
    });
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async init(): Promise<this> {
    this.port = await freePort();
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', this.dir]);
    this.run(['initdb', '-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    return this;
  }

  start(): void {
    this.run([
      'pg_ctl',
      '-D',
      join(this.dir, 'data'),
      '-w',
      '-l',
      join(this.dir, 'log'),
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
  }

  /** An immediate stop: like a crash, connections are cut. */
  crash(): void {
    this.run(['pg_ctl', '-D', join(this.dir, 'data'), '-m', 'immediate', 'stop']);
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  destroy(): void {
    try {
      this.crash();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
