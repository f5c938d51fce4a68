import type { LoggerService } from '@nestjs/common';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { Correlation } from './correlation.js';
import { stdoutDestination } from './log-destination.js';
import { redactText } from './redaction.js';
import { activeTraceIds } from './tracing.js';

/**
 * Paths removed from every log line. Secrets must never reach logs even when a
 * developer logs a whole object by mistake.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'accessToken',
  'secret',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.secret',
  '*.*.password',
  '*.*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** Properties of an error that hold the values a statement was run with (TypeORM's QueryFailedError): never logged. */
const ERROR_VALUE_PROPERTIES = new Set(['parameters']);

function redactLogged(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactLogged(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => !ERROR_VALUE_PROPERTIES.has(key))
      .map(([key, inner]) => [key, redactLogged(inner, depth + 1)]),
  );
}

/**
 * An error as a log line may carry it: pino's standard serialization, then
 * every string in it redacted as spans are (redaction.ts: addresses masked,
 * URL query values, JWTs and hashes replaced) and bound statement values
 * dropped. Errors quote what they were given — a driver's message repeats a
 * row's values, a server's reply repeats an address — so they are cleaned
 * here, once, whoever logs them.
 */
export function serializeError(error: unknown): unknown {
  return redactLogged(pino.stdSerializers.err(error as Error), 0);
}

/** LOG_FORMAT: `auto` lets the terminal decide (see chooseLogFormat). */
export type LogFormatSetting = 'auto' | 'json' | 'pretty';
export type LogFormat = 'json' | 'pretty';

/**
 * Readable lines for a developer at a terminal; JSON lines for everything
 * else: a log shipper in production, and any pipe (the tests parse the apps'
 * stdout as JSON). An explicit `json` or `pretty` wins.
 */
export function chooseLogFormat(setting: LogFormatSetting, where: { production: boolean; stdoutIsTty: boolean }): LogFormat {
  if (setting !== 'auto') return setting;
  return where.stdoutIsTty && !where.production ? 'pretty' : 'json';
}

export interface LoggerSettings {
  level: string;
  name: string;
  /** Where lines go instead of stdout (tests). */
  destination?: pino.DestinationStream;
  /** LOG_FORMAT; JSON when not given. */
  format?: LogFormatSetting;
  /** NODE_ENV is production: `auto` stays JSON even on a terminal. */
  production?: boolean;
}

export function createLogger(options: LoggerSettings): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    base: { pid: process.pid, app: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Every line carries the correlation id of the work it belongs to, and its trace and span when traced.
    mixin() {
      const scope = Correlation.current();
      const ids = scope ? { correlationId: scope.correlationId, ...(scope.causationId ? { causationId: scope.causationId } : {}) } : {};
      return { ...ids, ...activeTraceIds() };
    },
  };
  // Read before the destination exists: creating process.stdout makes a pipe on fd 1 non-blocking (libuv), so
  // a write for a reader that stalls returns "try again" instead of holding a thread.
  const stdoutIsTty = process.stdout.isTTY === true;
  const format = chooseLogFormat(options.format ?? 'json', { production: options.production ?? false, stdoutIsTty });
  // Never pino's own stdout destination: its exit flush can wait forever on a dead pipe (see LogDestination).
  const out = options.destination ?? stdoutDestination();
  let logger: Logger;
  if (format === 'json') {
    logger = pino(config, out);
  } else {
    // Formatted in the main thread; written like JSON lines, and flushed at exit, so a line logged just before an exit is not lost.
    const prettify = prettyFactory({ colorize: stdoutIsTty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' });
    logger = pino(config, { write: (line: string) => out.write(prettify(line)) });
  }
  if (!options.destination) {
    stdoutDestination().onDropsEnded = (dropped) => logger.warn({ dropped }, 'log lines dropped: stdout was not read fast enough');
  }
  return logger;
}

/** Nest's LoggerService on top of pino, so framework logs are structured too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    // Nest passes the context name last; an error's stack may come before it.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...(message as object) });
    } else {
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
