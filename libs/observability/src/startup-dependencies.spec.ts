import {
  DependencyUnavailableError,
  maskUrl,
  waitForDependencies,
  withoutPasswords,
  type StartupDependency,
} from './startup-dependencies.js';

/** A dependency that answers from its `answersAfter`-th check on (never, by default). */
function fake(name: string, answersAfter = Infinity, failure = 'connect ECONNREFUSED 127.0.0.1:1'): StartupDependency & { checks: number } {
  return {
    name,
    variable: `${name.toUpperCase()}_URL`,
    address: `${name.toLowerCase()}://***@127.0.0.1:1`,
    checks: 0,
    async check() {
      this.checks += 1;
      if (this.checks < answersAfter) throw new Error(failure);
    },
  };
}

describe(maskUrl.name, () => {
  it('replaces the password and keeps the rest', () => {
    expect(maskUrl('postgres://herald:s3cret@db.internal:6543/herald?sslmode=require')).toBe(
      'postgres://herald:***@db.internal:6543/herald?sslmode=require',
    );
  });

  it('leaves a URL without a password as it is', () => {
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('shows nothing of a URL it cannot parse (it could hold a password)', () => {
    expect(maskUrl('not a url with s3cret')).toBe('(unparsable URL)');
  });
});

describe(withoutPasswords.name, () => {
  it('masks the (decoded) password of every URL wherever it appears in the text', () => {
    expect(withoutPasswords('auth failed for p@ss and tok', ['postgres://u:p%40ss@h/db', 'redis://:tok@h'])).toBe(
      'auth failed for *** and ***',
    );
  });
});

describe(waitForDependencies.name, () => {
  it('resolves once every dependency answers, logging what it waited for once', async () => {
    const postgres = fake('Postgres', 3);
    const log: string[] = [];
    await waitForDependencies([postgres, fake('Redis', 1)], 10_000, (message) => log.push(message));
    expect(postgres.checks).toBe(3);
    expect(log).toEqual(['waiting for Postgres at postgres://***@127.0.0.1:1 (POSTGRES_URL): connect ECONNREFUSED 127.0.0.1:1']);
  });

  it('gives up after the timeout, naming only the dependency that never answered, in one line', async () => {
    const started = Date.now();
    const error = await waitForDependencies([fake('Postgres', 1), fake('Redis')], 300, () => undefined).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toBe(
      'Gave up after 300 ms waiting for Redis at redis://***@127.0.0.1:1 (REDIS_URL): connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('does not ask again a dependency that has answered: one slow last answer does not name it', async () => {
    const postgres = fake('Postgres', 1);
    // Answers at once the first time, then only after the checks' deadline.
    const slowAfterwards: StartupDependency = {
      ...postgres,
      check: () => (postgres.checks++ === 0 ? Promise.resolve() : new Promise(() => undefined)),
    };
    const error = await waitForDependencies([slowAfterwards, fake('Redis')], 300, () => undefined).catch((e: unknown) => e);
    expect(postgres.checks).toBe(1);
    expect((error as Error).message).toBe(
      'Gave up after 300 ms waiting for Redis at redis://***@127.0.0.1:1 (REDIS_URL): connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('bounds a check that never settles', async () => {
    const hanging: StartupDependency = {
      name: 'Redis',
      variable: 'REDIS_URL',
      address: 'redis://h',
      check: () => new Promise(() => undefined),
    };
    const error = await waitForDependencies([hanging], 200, () => undefined).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^Gave up after 200 ms waiting for Redis at redis:\/\/h \(REDIS_URL\): no answer within \d+ ms$/,
    );
  });
});
