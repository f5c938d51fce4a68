import pg from 'pg';
import type { HeraldConfig } from '@herald/config';
import { maskUrl, reasonOf, withoutPasswords, type StartupDependency } from '@herald/observability';

/** Postgres at DATABASE_URL, for waitForDependencies: answers when a fresh connection runs `SELECT 1`. */
export function postgresDependency(config: Pick<HeraldConfig, 'database'>): StartupDependency {
  const { url } = config.database;
  return {
    name: 'Postgres',
    variable: 'DATABASE_URL',
    address: maskUrl(url),
    async check(timeoutMs) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'herald-startup-check' });
      // A server that goes away mid-check emits 'error' besides rejecting; without a listener that would crash the process.
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
      } catch (error) {
        throw new Error(withoutPasswords(reasonOf(error), [url]));
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
