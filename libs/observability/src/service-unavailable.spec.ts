import { isServiceUnavailable } from './service-unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe(isServiceUnavailable.name, () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a lost Postgres connection', new Error('Connection terminated unexpectedly')],
    ['a full pool', new Error('timeout exceeded when trying to connect')],
    ['a server shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['a server starting up', withCode('the database system is starting up', '57P03')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['a lock timeout', withCode('canceling statement due to lock timeout', '55P03')],
    ['a statement timeout', withCode('canceling statement due to statement timeout', '57014')],
    ['a TypeORM wrapper of a driver error', Object.assign(new Error('read ECONNRESET'), { driverError: { code: 'ECONNRESET' } })],
    ['a closed Redis connection', new Error('Connection is closed.')],
    ['ioredis giving up on a command', named('MaxRetriesPerRequestError', 'Reached the max retries per request limit')],
    ['Redis not acknowledging jobs in time', named('EnqueueTimeoutError', 'Redis did not acknowledge the jobs within 2000 ms')],
    ['every address refused', new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], '')],
  ])('recognises %s', (_what, error) => {
    expect(isServiceUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a missing table', withCode('relation "inbox" does not exist', '42P01')],
    ['an SMTP connection error (nodemailer codes its own errors)', withCode('connect ECONNREFUSED 127.0.0.1:25', 'ESOCKET')],
    ['a plain bug', new TypeError('x is undefined')],
    ['something that is not an Error', 'ECONNREFUSED'],
  ])('does not take %s for an unavailable service', (_what, error) => {
    expect(isServiceUnavailable(error)).toBe(false);
  });
});
