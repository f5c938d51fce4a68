/** Where the shared test services are; override with TEST_DATABASE_ADMIN_URL / TEST_REDIS_URL. */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** This run's migrated template, made by global-setup.mjs. */
export function templateDatabase(): string {
  const name = process.env.HERALD_TEST_TEMPLATE;
  if (!name) throw new Error('HERALD_TEST_TEMPLATE is not set: run the tests through jest (global-setup.mjs)');
  return name;
}
/** Test databases are herald_t_<epoch seconds>_<random>; global setup drops old leftovers. */
export const TEST_DATABASE_PREFIX = 'herald_t_';

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
