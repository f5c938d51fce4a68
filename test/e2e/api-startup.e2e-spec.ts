import { AppProcess } from '../support/app-process.js';
import { ADMIN_DATABASE_URL, TEST_REDIS_URL } from '../support/env.js';
import { freePort } from '../support/ports.js';

const STARTUP_TIMEOUT_MS = 2000;
/** One check's own bound (2 s) and a busy machine's scheduling. */
const ALLOWANCE_MS = 4000;
const PASSWORD = 'pg-and-redis-s3cret';

/** The API refuses to start, naming the service and its address (password masked), when Postgres or Redis never answers. */
describe('API start-up check', () => {
  const run = async (env: Record<string, string>) => {
    const api = new AppProcess('api', { STARTUP_TIMEOUT_MS: String(STARTUP_TIMEOUT_MS), PORT: String(await freePort()), ...env }).start();
    const exit = await api.waitExit();
    const exitedAt = Date.now();
    // From the first "waiting for" log line, not from spawning: loading the app takes seconds on a busy machine.
    const firstWait = api.logs().find((log) => String(log.msg).startsWith('waiting for '));
    const elapsedMs = firstWait ? exitedAt - Date.parse(String(firstWait.time)) : Infinity;
    return { exit, elapsedMs, lines: api.lines.filter((line) => line.trim() !== ''), logs: api.logs() };
  };

  /** Exactly one line gives up, and nothing looks like a driver's stack trace. */
  const expectOneLine = (lines: string[], pattern: RegExp) => {
    expect(lines.filter((line) => /Gave up/.test(line))).toEqual([expect.stringMatching(pattern)]);
    expect(lines.filter((line) => /^\s+at\s/.test(line) || /Unable to connect to the database|ExceptionHandler/.test(line))).toEqual([]);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  };

  it('names Postgres and its masked address when Postgres does not answer', async () => {
    const port = await freePort(); // nothing listens there
    const { exit, elapsedMs, lines } = await run({
      DATABASE_URL: `postgres://herald:${PASSWORD}@127.0.0.1:${port}/herald`,
      REDIS_URL: TEST_REDIS_URL,
    });
    expect(exit.code).toBe(1);
    expect(elapsedMs).toBeLessThan(STARTUP_TIMEOUT_MS + ALLOWANCE_MS);
    expectOneLine(
      lines,
      new RegExp(
        `^herald-api: Gave up after ${STARTUP_TIMEOUT_MS} ms waiting for Postgres at postgres://herald:\\*\\*\\*@127\\.0\\.0\\.1:${port}/herald \\(DATABASE_URL\\): .*ECONNREFUSED`,
      ),
    );
    expect(lines.join('\n')).not.toMatch(/Redis at/);
  });

  it('names Redis and its masked address when Redis does not answer', async () => {
    const port = await freePort();
    const { exit, elapsedMs, lines } = await run({ DATABASE_URL: ADMIN_DATABASE_URL, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}` });
    expect(exit.code).toBe(1);
    expect(elapsedMs).toBeLessThan(STARTUP_TIMEOUT_MS + ALLOWANCE_MS);
    expectOneLine(
      lines,
      new RegExp(
        `^herald-api: Gave up after ${STARTUP_TIMEOUT_MS} ms waiting for Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): .*ECONNREFUSED`,
      ),
    );
    expect(lines.join('\n')).not.toMatch(/Postgres at/);
  });

  it('warns about a deprecated variable before anything else (BULL_BOARD_READ_ONLY, now ADMIN_READ_ONLY)', async () => {
    const port = await freePort(); // nothing listens there: the API gives up after its warnings
    const { exit, logs } = await run({
      DATABASE_URL: `postgres://herald@127.0.0.1:${port}/herald`,
      REDIS_URL: TEST_REDIS_URL,
      BULL_BOARD_READ_ONLY: 'true',
    });
    expect(exit.code).toBe(1);
    const warnings = logs.filter((log) => log.variable === 'BULL_BOARD_READ_ONLY');
    expect(warnings).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringContaining('rename it ADMIN_READ_ONLY') })]);
  });
});
