import { stripVTControlCharacters } from 'node:util';
import { chooseLogFormat, createLogger, serializeError, type LoggerSettings } from './logger.js';

describe(chooseLogFormat.name, () => {
  it.each([
    // setting, production, stdout is a terminal, format
    ['auto', false, true, 'pretty'],
    ['auto', false, false, 'json'],
    ['auto', true, true, 'json'],
    ['auto', true, false, 'json'],
    ['json', false, true, 'json'],
    ['pretty', false, false, 'pretty'],
    ['pretty', true, false, 'pretty'],
  ] as const)('LOG_FORMAT=%s, production %s, terminal %s: %s', (setting, production, stdoutIsTty, format) => {
    expect(chooseLogFormat(setting, { production, stdoutIsTty })).toBe(format);
  });
});

describe(createLogger.name, () => {
  /** The text one log call produces, with stdout taken for a terminal or a pipe. */
  function logged(settings: Omit<LoggerSettings, 'destination' | 'level' | 'name'>, stdoutIsTty: boolean): string {
    const chunks: string[] = [];
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: stdoutIsTty, configurable: true });
    try {
      const logger = createLogger({
        name: 'herald-test',
        level: 'info',
        destination: { write: (line: string) => chunks.push(line) },
        ...settings,
      });
      logger.info({ queue: 'email', password: 'hunter2' }, 'job done');
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
    return stripVTControlCharacters(chunks.join(''));
  }

  it('writes readable lines on a terminal outside production, still redacted', () => {
    const out = logged({ format: 'auto', production: false }, true);
    expect(out).toMatch(/INFO.*\(herald-test\): job done/);
    expect(out).toContain('queue: "email"');
    expect(out).toContain('password: "[redacted]"');
    expect(out).not.toContain('hunter2');
    expect(() => JSON.parse(out)).toThrow();
  });

  it('writes JSON lines when stdout is a pipe', () => {
    const out = logged({ format: 'auto', production: false }, false);
    expect(JSON.parse(out)).toMatchObject({ level: 'info', msg: 'job done', queue: 'email', app: 'herald-test', password: '[redacted]' });
  });

  it('writes JSON lines in production, even on a terminal', () => {
    expect(JSON.parse(logged({ format: 'auto', production: true }, true))).toMatchObject({ msg: 'job done' });
  });

  it('writes readable lines into a pipe when LOG_FORMAT=pretty', () => {
    expect(logged({ format: 'pretty' }, false)).toMatch(/INFO.*job done/);
  });
});

describe(serializeError.name, () => {
  it('masks addresses and redacts URL query values in an error, and drops the values a statement was bound to', () => {
    const error = Object.assign(new Error('insert failed for ada@example.com at /reset-password?token=abc123secret'), {
      parameters: ['ada@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'],
      query: 'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
      response: '550 5.1.1 <ada@example.com>: Recipient address rejected',
    });
    const serialized = serializeError(error) as Record<string, unknown>;
    const text = JSON.stringify(serialized);
    expect(text).not.toContain('ada@example.com');
    expect(text).not.toContain('abc123secret');
    expect(text).not.toContain('argon2id');
    expect(serialized).toMatchObject({
      message: 'insert failed for a***@example.com at /reset-password?token=REDACTED',
      query: 'INSERT INTO users (email, password_hash) VALUES ($1, $2)',
      response: '550 5.1.1 <a***@example.com>: Recipient address rejected',
    });
    expect(serialized).not.toHaveProperty('parameters');
  });

  it('is what the logger uses for `err`', () => {
    const chunks: string[] = [];
    const logger = createLogger({ name: 'herald-test', level: 'info', destination: { write: (line: string) => chunks.push(line) } });
    logger.warn({ err: new Error('refused <ada@example.com>') }, 'job failed');
    expect(chunks.join('')).toContain('refused <a***@example.com>');
    expect(chunks.join('')).not.toContain('ada@example.com');
  });
});
