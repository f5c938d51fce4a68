/**
 * SQLSTATEs that mean "Postgres is not there right now", not "this statement
 * is wrong": connection exceptions (class 08), the server shutting down or
 * starting (57P01-57P03), too many connections (53300), and the session limits
 * that say a row or the server is busy (55P03 lock_timeout, 57014
 * statement_timeout).
 */
const POSTGRES_STATES = /^(08...|57P01|57P02|57P03|53300|55P03|57014)$/;
/** Socket errors as Node, pg and ioredis report them (nodemailer uses codes of its own: SMTP is not covered). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** Error names of clients that could not reach their server in time. */
const NAMES = new Set(['MaxRetriesPerRequestError', 'EnqueueTimeoutError', 'QueryRunnerAlreadyReleasedError']);
/** Messages of pg and ioredis for a connection that is lost or cannot be had (they carry no code). */
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|Stream isn't writeable/;

/**
 * Whether an error means that Postgres or Redis is unavailable (down, restarting,
 * failing over, overloaded) rather than that the code or the input is wrong.
 * Decided on error codes and types, never on free text where a code exists.
 * One classifier for every caller: the API answers 503, the worker puts the job
 * back without using an attempt, the CLI names the service.
 */
export function isServiceUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof AggregateError && error.errors.some(isServiceUnavailable)) return true;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const codes = [code, driverError?.code].filter((value): value is string => typeof value === 'string');
  return (
    codes.some((value) => POSTGRES_STATES.test(value) || SOCKET_CODES.has(value)) || NAMES.has(error.name) || MESSAGES.test(error.message)
  );
}
