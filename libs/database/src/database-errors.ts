/**
 * SQLSTATEs that mean "Postgres is not there right now", not "this statement
 * is wrong": connection exceptions (class 08), the server shutting down or
 * starting (57P01-57P03), too many connections (53300).
 */
const UNAVAILABLE_STATES = /^(08...|57P01|57P02|57P03|53300)$/;
/** Socket-level errors of the pg driver (its own `code`, not a nodemailer or ioredis one). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
/** What pg and TypeORM say when a connection is lost or cannot be had. */
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|QueryRunnerAlreadyReleasedError/;

/** Whether an error from a database call means Postgres is unavailable (a restart, a failover, a full pool). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const codes = [code, driverError?.code].filter((value): value is string => typeof value === 'string');
  return (
    codes.some((value) => UNAVAILABLE_STATES.test(value) || SOCKET_CODES.has(value)) || MESSAGES.test(`${error.name} ${error.message}`)
  );
}
