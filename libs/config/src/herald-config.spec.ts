import { ConfigValidationError, loadConfig, workerPoolSize } from './herald-config.js';
import { jobRetrySpanHours } from './config.schema.js';

const STRONG_SECRET = 's'.repeat(32);

/** The ConfigValidationError loadConfig throws for an environment. */
function configError(env: Record<string, string | undefined>): ConfigValidationError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

/** The variables a ConfigValidationError names, from its message. */
const namedVariables = (error: ConfigValidationError) => [...error.message.matchAll(/^ {2}- ([A-Z_]+): /gm)].map((match) => match[1]);

describe(loadConfig.name, () => {
  describe('defaults', () => {
    it('loads a complete development configuration from an empty environment', () => {
      const config = loadConfig({});

      expect(config.env).toBe('development');
      expect(config.http).toEqual({
        port: 3000,
        bodyLimit: '100kb',
        appBaseUrl: 'http://localhost:3000',
        corsOrigins: [],
        trustProxy: ['loopback'],
      });
      expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/herald');
      expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', clusterNodes: [], queuePrefix: '{herald}' });
      expect(config.mail.smtpUrl).toBeUndefined();
      expect(config.auth.rateLimitEnabled).toBe(true);
      expect(config.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(config.outbox).toEqual({
        relayEnabled: true,
        graceMs: 5000,
        relayIntervalMs: 1000,
        batchSize: 200,
        relayConcurrency: 2,
        maxAttempts: 10,
        dispatchBacklogLimit: 10000,
        dispatchConcurrency: 4,
        markBacklogLimit: 10000,
      });
      expect(config.database).toMatchObject({
        poolSize: 10,
        poolSizeSet: false,
        lockTimeoutMs: 2000,
        statementTimeoutMs: 10000,
        idleInTransactionTimeoutMs: 60000,
      });
      expect(config.mail).toMatchObject({ connectionTimeoutMs: 5000, greetingTimeoutMs: 5000, socketTimeoutMs: 15000 });
    });

    it('reads values from the given source', () => {
      const config = loadConfig({ PORT: '8080', RATE_LIMIT_ENABLED: 'off', OUTBOX_MAX_ATTEMPTS: '3', JWT_SECRET: STRONG_SECRET });

      expect(config.http.port).toBe(8080);
      expect(config.auth.rateLimitEnabled).toBe(false);
      expect(config.outbox.maxAttempts).toBe(3);
      expect(config.auth.jwtSecret).toBe(STRONG_SECRET);
    });

    it('leaves the log format to the terminal unless LOG_FORMAT names one', () => {
      expect(loadConfig({}).logFormat).toBe('auto');
      expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    });

    it('drops trailing slashes from APP_BASE_URL', () => {
      expect(loadConfig({ APP_BASE_URL: 'https://herald.example.com//' }).http.appBaseUrl).toBe('https://herald.example.com');
    });
  });

  describe('malformed variables', () => {
    it.each([
      ['PORT', 'abc'],
      ['DATABASE_URL', 'mysql://x'],
      ['REDIS_URL', 'http://x'],
      ['SMTP_URL', 'ftp://x'],
      ['RATE_LIMIT_ENABLED', 'maybe'],
      ['OUTBOX_MAX_ATTEMPTS', '0'],
      ['APP_BASE_URL', 'notaurl'],
      ['JWT_SECRET', 'too-short'],
      ['CORS_ORIGINS', 'https://ok.example.com, javascript:alert(1)'],
      ['ADMIN_READ_ONLY', 'sometimes'],
      ['BULL_BOARD_READ_ONLY', 'sometimes'],
      ['LOG_FORMAT', 'colour'],
    ])('refuses %s=%s and names that variable', (name, value) => {
      const error = configError({ [name]: value });

      expect(namedVariables(error)).toEqual([name]);
      expect(error.problems).toHaveLength(1);
    });

    it('reads CORS_ORIGINS as a trimmed list of origins', () => {
      expect(loadConfig({ CORS_ORIGINS: ' https://a.example.com ,http://localhost:5173,' }).http.corsOrigins).toEqual([
        'https://a.example.com',
        'http://localhost:5173',
      ]);
    });

    it('names every malformed variable at once', () => {
      expect(namedVariables(configError({ PORT: 'abc', REDIS_URL: 'http://x' })).sort()).toEqual(['PORT', 'REDIS_URL']);
    });
  });

  describe('TRUST_PROXY', () => {
    it.each([
      ['0', 0],
      ['1', 1],
      [' 2 ', 2],
      ['100', 100],
    ])('reads %j as a hop count', (value, hops) => {
      expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toBe(hops);
    });

    it.each([
      ['loopback', ['loopback']],
      ['linklocal, uniquelocal', ['linklocal', 'uniquelocal']],
      ['10.0.0.7', ['10.0.0.7']],
      ['10.0.0.0/8, 172.16.0.0/12,', ['10.0.0.0/8', '172.16.0.0/12']],
      ['2001:db8::1, fd00::/8, ::ffff:10.0.0.1', ['2001:db8::1', 'fd00::/8', '::ffff:10.0.0.1']],
      ['loopback,192.0.2.0/24,2001:db8::/32', ['loopback', '192.0.2.0/24', '2001:db8::/32']],
    ])('reads %j as a list of trusted proxies', (value, list) => {
      expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(list);
    });

    it('trusts only loopback proxies when unset or empty', () => {
      expect(loadConfig({}).http.trustProxy).toEqual(['loopback']);
      expect(loadConfig({ TRUST_PROXY: '' }).http.trustProxy).toEqual(['loopback']);
    });

    it.each([
      ['true', 'would trust any client to name its own address'],
      ['false', 'is no hop count nor address'],
      ['-1', 'is a negative hop count'],
      ['101', 'is more hops than any real chain'],
      ['1.5', 'is no whole hop count'],
      ['10.0.0.0/33', 'has a prefix longer than IPv4 allows'],
      ['300.1.1.1', 'is no IPv4 address'],
      ['10.0.0.0/8, proxy.internal', 'names a host, not an address'],
      ['localhost', "is not one of express's range names"],
      [' , ', 'lists nothing'],
    ])('refuses %j (it %s) and names TRUST_PROXY', (value) => {
      const error = configError({ TRUST_PROXY: value });

      expect(namedVariables(error)).toEqual(['TRUST_PROXY']);
      expect(error.message).toMatch(/TRUST_PROXY: must be a hop count .* or a comma-separated list of IP addresses, CIDRs and loopback/);
    });

    it('quotes the items it did not understand', () => {
      expect(configError({ TRUST_PROXY: 'loopback,proxy.internal' }).message).toContain('not understood: "proxy.internal"');
    });
  });

  describe('rules across variables', () => {
    it('requires JWT_SECRET when NODE_ENV=production', () => {
      expect(namedVariables(configError({ NODE_ENV: 'production' }))).toEqual(['JWT_SECRET']);
    });

    it('accepts production with a JWT_SECRET', () => {
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET }).env).toBe('production');
    });

    it('requires ADMIN_PASSWORD when ADMIN_USER is set', () => {
      expect(namedVariables(configError({ ADMIN_USER: 'ops' }))).toEqual(['ADMIN_PASSWORD']);
    });

    it('requires ADMIN_USER when ADMIN_PASSWORD is set', () => {
      expect(namedVariables(configError({ ADMIN_PASSWORD: 'p'.repeat(12) }))).toEqual(['ADMIN_USER']);
    });

    it('treats empty strings as unset, so defaults apply', () => {
      const config = loadConfig({ PORT: '', DATABASE_URL: '', SMTP_URL: '', RATE_LIMIT_ENABLED: '' });

      expect(config.http.port).toBe(3000);
      expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/herald');
      expect(config.mail.smtpUrl).toBeUndefined();
      expect(config.auth.rateLimitEnabled).toBe(true);
    });

    it('treats an empty JWT_SECRET in production as missing', () => {
      expect(namedVariables(configError({ NODE_ENV: 'production', JWT_SECRET: '' }))).toEqual(['JWT_SECRET']);
    });

    describe('ADMIN_PASSWORD in production', () => {
      const production = (password: string, user = 'operator') =>
        ({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, ADMIN_USER: user, ADMIN_PASSWORD: password }) as const;

      it.each([
        ['shorter than 16 characters', 'Tr0ub4dor&3-x!', 'must be at least 16 characters'],
        ['fewer than 8 different characters', 'abcabcabcabcabcabc', 'must have at least 8 different characters'],
        ["the compose file's old default", 'admin-change-me-2024', 'must not be a placeholder'],
        ['a placeholder in other dress', 'Please_CHANGE_ME_now!', 'must not be a placeholder'],
        ['containing the user name', 'operator-9f2c1d7e-x', 'must not contain ADMIN_USER'],
      ])('refuses a password %s, naming the variable and never the value', (_, password, reason) => {
        const error = configError(production(password));

        expect(namedVariables(error)).toEqual(['ADMIN_PASSWORD']);
        expect(error.message).toContain(reason);
        expect(error.message).toContain('when NODE_ENV=production');
        expect(error.message).not.toContain(password);
      });

      it('accepts a long, varied password', () => {
        expect(loadConfig(production('t7#Vq-2mLx!9rKp4zW')).admin.password).toBe('t7#Vq-2mLx!9rKp4zW');
      });

      it('leaves development and test alone (12 characters as ever)', () => {
        expect(loadConfig({ ADMIN_USER: 'operator', ADMIN_PASSWORD: 'admin-change-me' }).admin.password).toBe('admin-change-me');
      });
    });

    it('treats an empty ADMIN_PASSWORD as missing', () => {
      expect(namedVariables(configError({ ADMIN_USER: 'ops', ADMIN_PASSWORD: '' }))).toEqual(['ADMIN_PASSWORD']);
    });
  });

  describe('ADMIN_READ_ONLY (formerly BULL_BOARD_READ_ONLY)', () => {
    it('makes the admin areas read-only in production and writable elsewhere unless set', () => {
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET }).admin.readOnly).toBe(true);
      expect(loadConfig({}).admin.readOnly).toBe(false);
      expect(loadConfig({ ADMIN_READ_ONLY: 'true' }).admin.readOnly).toBe(true);
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, ADMIN_READ_ONLY: 'false' }).admin.readOnly).toBe(false);
    });

    it('warns about nothing when only ADMIN_READ_ONLY is set', () => {
      expect(loadConfig({ ADMIN_READ_ONLY: 'true' }).warnings).toEqual([]);
    });

    it('still reads the old name BULL_BOARD_READ_ONLY, with a warning to rename it', () => {
      const config = loadConfig({ BULL_BOARD_READ_ONLY: 'true' });

      expect(config.admin.readOnly).toBe(true);
      expect(config.warnings).toEqual([
        { variable: 'BULL_BOARD_READ_ONLY', message: expect.stringContaining('rename it ADMIN_READ_ONLY') },
      ]);
    });

    it('lets ADMIN_READ_ONLY win over the old name, and warns that the old one is ignored', () => {
      const config = loadConfig({ ADMIN_READ_ONLY: 'false', BULL_BOARD_READ_ONLY: 'true' });

      expect(config.admin.readOnly).toBe(false);
      expect(config.warnings).toEqual([
        { variable: 'BULL_BOARD_READ_ONLY', message: expect.stringContaining('ignored: ADMIN_READ_ONLY is set') },
      ]);
    });
  });

  describe('SMTP timeouts', () => {
    it('refuses SMTP timeouts that add up to more than the job lock, naming the variables', () => {
      const error = configError({ WORKER_LOCK_DURATION_MS: '10000', SMTP_SOCKET_TIMEOUT_MS: '5000' });

      expect(namedVariables(error)).toEqual(['SMTP_SOCKET_TIMEOUT_MS']);
      expect(error.message).toContain('WORKER_LOCK_DURATION_MS (10000 ms)');
      expect(error.message).toContain('SMTP_CONNECTION_TIMEOUT_MS + SMTP_GREETING_TIMEOUT_MS + SMTP_SOCKET_TIMEOUT_MS (15000 ms)');
    });

    it('accepts a shorter lock together with shorter SMTP timeouts', () => {
      const config = loadConfig({
        WORKER_LOCK_DURATION_MS: '3000',
        SMTP_CONNECTION_TIMEOUT_MS: '500',
        SMTP_GREETING_TIMEOUT_MS: '500',
        SMTP_SOCKET_TIMEOUT_MS: '2000',
      });

      expect(config.mail.socketTimeoutMs).toBe(2000);
    });
  });
});

describe('mail transport', () => {
  it('sends over SMTP when SMTP_URL is set and to files otherwise, unless MAIL_TRANSPORT says', () => {
    expect(loadConfig({}).mail.transport).toBe('file');
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }).mail.transport).toBe('smtp');
    const resend = loadConfig({ MAIL_TRANSPORT: 'resend', RESEND_API_KEY: 're_123', RESEND_BASE_URL: 'http://127.0.0.1:4008/' });
    expect(resend.mail).toMatchObject({ transport: 'resend', resend: { apiKey: 're_123', baseUrl: 'http://127.0.0.1:4008' } });
    expect(loadConfig({ MAIL_TRANSPORT: 'resend', RESEND_API_KEY: 're_123' }).mail.resend.baseUrl).toBe('https://api.resend.com');
  });

  it('refuses a transport without what it needs, naming the variable', () => {
    expect(namedVariables(configError({ MAIL_TRANSPORT: 'resend' }))).toEqual(['RESEND_API_KEY']);
    expect(namedVariables(configError({ MAIL_TRANSPORT: 'smtp' }))).toEqual(['SMTP_URL']);
    expect(namedVariables(configError({ MAIL_TRANSPORT: 'mailgun' }))).toEqual(['MAIL_TRANSPORT']);
    expect(namedVariables(configError({ MAIL_TRANSPORT: 'resend', RESEND_API_KEY: 'k', RESEND_BASE_URL: 'ftp://x' }))).toEqual([
      'RESEND_BASE_URL',
    ]);
  });

  it('takes an SMTP idempotency header name, and refuses one that is not a header name', () => {
    const config = loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_IDEMPOTENCY_HEADER: 'Resend-Idempotency-Key' });
    expect(config.mail).toMatchObject({ smtpIdempotencyHeader: 'Resend-Idempotency-Key', smtpIdempotencyWindowHours: 24 });
    expect(namedVariables(configError({ SMTP_IDEMPOTENCY_HEADER: 'Bad Header: x' }))).toEqual(['SMTP_IDEMPOTENCY_HEADER']);
  });

  it('holds the Resend transport to its own timeout, not to the SMTP limits', () => {
    const config = loadConfig({
      MAIL_TRANSPORT: 'resend',
      RESEND_API_KEY: 'k',
      WORKER_LOCK_DURATION_MS: '6000',
      MAIL_API_TIMEOUT_MS: '5000',
    });
    expect(config.mail.apiTimeoutMs).toBe(5000);
  });

  it('refuses an API timeout as long as the job lock', () => {
    const error = configError({
      MAIL_TRANSPORT: 'resend',
      RESEND_API_KEY: 'k',
      WORKER_LOCK_DURATION_MS: '30000',
      MAIL_API_TIMEOUT_MS: '30000',
    });
    expect(namedVariables(error)).toEqual(['MAIL_API_TIMEOUT_MS']);
  });
});

describe('retention settings', () => {
  it('prunes every 10 minutes in batches of 1000 by default, keeping outbox rows 7 days, inbox records 30 and spent tokens 7', () => {
    expect(loadConfig({}).retention).toEqual({
      enabled: true,
      intervalMs: 600_000,
      batchSize: 1000,
      outboxHours: 168,
      inboxHours: 720,
      tokenHours: 168,
    });
  });

  it.each([
    ['RETENTION_INTERVAL_MS', '500'],
    ['RETENTION_BATCH_SIZE', '0'],
    ['RETENTION_BATCH_SIZE', '10001'],
    ['TOKEN_RETENTION_HOURS', '0'],
    ['RETENTION_ENABLED', 'perhaps'],
  ])('refuses %s=%s and names that variable', (name, value) => {
    expect(namedVariables(configError({ [name]: value }))).toEqual([name]);
  });

  it('refuses an outbox retention shorter than the completed-job retention that outbox:reconcile relies on', () => {
    const error = configError({ OUTBOX_RETENTION_HOURS: '48', JOB_COMPLETED_RETENTION_HOURS: '72' });

    expect(namedVariables(error)).toEqual(['OUTBOX_RETENTION_HOURS']);
    expect(error.message).toContain('OUTBOX_RETENTION_HOURS: (48h) must be at least JOB_COMPLETED_RETENTION_HOURS (72h)');
  });

  it('refuses an inbox retention shorter than the outbox retention: a kept event can be redelivered', () => {
    const error = configError({ OUTBOX_RETENTION_HOURS: '2000', INBOX_RETENTION_HOURS: '1000' });

    expect(namedVariables(error)).toEqual(['INBOX_RETENTION_HOURS']);
    expect(error.message).toMatch(/INBOX_RETENTION_HOURS: \(1000h\) must be at least 2001h: .*OUTBOX_RETENTION_HOURS \(2000h\)/);
  });

  it('refuses an inbox retention shorter than failed jobs are kept for an operator to retry', () => {
    const error = configError({ JOB_FAILED_RETENTION_DAYS: '40', INBOX_RETENTION_HOURS: '720' });

    expect(namedVariables(error)).toEqual(['INBOX_RETENTION_HOURS']);
    expect(error.message).toContain('JOB_FAILED_RETENTION_DAYS (40d = 960h)');
  });

  it("adds the job retries' backoff to what the inbox must outlive", () => {
    // 10 attempts, 1 h doubling: 1+2+...+256 = 511 h of retries after the first attempt.
    const env = { JOB_ATTEMPTS: '10', JOB_BACKOFF_MS: String(3_600_000), JOB_FAILED_RETENTION_DAYS: '14' };

    expect(jobRetrySpanHours({ JOB_ATTEMPTS: 10, JOB_BACKOFF_MS: 3_600_000 })).toBe(511);
    expect(configError({ ...env, INBOX_RETENTION_HOURS: '846' }).message).toMatch(/INBOX_RETENTION_HOURS: \(846h\) must be at least 847h/);
    expect(loadConfig({ ...env, INBOX_RETENTION_HOURS: '847' }).retention.inboxHours).toBe(847);
  });

  it('accepts shorter retention when the job retention is shortened with it', () => {
    const config = loadConfig({
      JOB_COMPLETED_RETENTION_HOURS: '6',
      JOB_FAILED_RETENTION_DAYS: '1',
      OUTBOX_RETENTION_HOURS: '12',
      INBOX_RETENTION_HOURS: '25',
      TOKEN_RETENTION_HOURS: '1',
    });

    expect(config.retention).toMatchObject({ outboxHours: 12, inboxHours: 25, tokenHours: 1 });
  });

  it('turns the schedules off with RETENTION_ENABLED=false', () => {
    expect(loadConfig({ RETENTION_ENABLED: 'false' }).retention.enabled).toBe(false);
  });
});

describe(workerPoolSize.name, () => {
  it('sizes the worker pool for every job and relay loop at once when DATABASE_POOL_SIZE is unset', () => {
    expect(workerPoolSize(loadConfig({}))).toBe(10);
    expect(workerPoolSize(loadConfig({ WORKER_CONCURRENCY: '50' }))).toBe(53);
  });

  it('keeps a DATABASE_POOL_SIZE that is large enough', () => {
    expect(workerPoolSize(loadConfig({ WORKER_CONCURRENCY: '20', DATABASE_POOL_SIZE: '40' }))).toBe(40);
  });

  it('refuses a DATABASE_POOL_SIZE too small for the jobs and relay loops, naming the variables', () => {
    const config = loadConfig({ WORKER_CONCURRENCY: '20', OUTBOX_RELAY_CONCURRENCY: '2', DATABASE_POOL_SIZE: '10' });

    expect(() => workerPoolSize(config)).toThrow(ConfigValidationError);
    expect(() => workerPoolSize(config)).toThrow(
      /DATABASE_POOL_SIZE: 10 connections cannot serve WORKER_CONCURRENCY \(20\) \+ OUTBOX_RELAY_CONCURRENCY \(2\) \+ 1 .* = 23/,
    );
  });
});
