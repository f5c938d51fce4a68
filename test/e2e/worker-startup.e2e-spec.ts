import { AppProcess } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { freePort } from '../support/ports.js';

/** The worker refuses to start, naming the dependency, when Postgres or Redis never answers. */
describe('Worker start-up check', () => {
  const run = async (env: Record<string, string>) => {
    const worker = new AppProcess('worker', { STARTUP_TIMEOUT_MS: '1500', WORKER_PORT: String(await freePort()), ...env }).start();
    const exit = await worker.waitExit();
    return { exit, output: worker.lines.join('\n') };
  };

  it('names Redis when Redis does not answer', async () => {
    const { exit, output } = await run({ REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    expect(exit.code).toBe(1);
    expect(output).toMatch(/Gave up after 1500 ms waiting for Redis at redis:\/\/127\.0\.0\.1:1 \(REDIS_URL\): .*ECONNREFUSED/);
    expect(output).not.toMatch(/Postgres at/);
  });

  it('names Postgres when Postgres does not answer', async () => {
    const { exit, output } = await run({ REDIS_URL: TEST_REDIS_URL, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/herald' });
    expect(exit.code).toBe(1);
    expect(output).toMatch(
      /Gave up after 1500 ms waiting for Postgres at postgres:\/\/postgres@127\.0\.0\.1:1\/herald \(DATABASE_URL\): .*ECONNREFUSED/,
    );
  });

  it('names the variable when the configuration is invalid', async () => {
    const { exit, output } = await run({ REDIS_URL: 'http://not-redis' });
    expect(exit.code).toBe(1);
    expect(output).toMatch(/REDIS_URL: must be a URL with protocol redis:\/\/ or rediss:\/\//);
  });

  it('refuses a database pool too small for its jobs and relay loops, naming the variables', async () => {
    const { exit, output } = await run({ WORKER_CONCURRENCY: '20', OUTBOX_RELAY_CONCURRENCY: '2', DATABASE_POOL_SIZE: '10' });
    expect(exit.code).toBe(1);
    expect(output).toMatch(/DATABASE_POOL_SIZE: 10 connections cannot serve WORKER_CONCURRENCY \(20\) \+ OUTBOX_RELAY_CONCURRENCY \(2\)/);
    expect(output).not.toMatch(/Gave up waiting/); // refused before it tried to connect
  });
});
