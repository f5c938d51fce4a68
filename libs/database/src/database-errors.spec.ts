import { isDatabaseUnavailable } from './database-errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe(isDatabaseUnavailable.name, () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a full pool', new Error('timeout exceeded when trying to connect')],
    ['a server shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['a server starting up', withCode('the database system is starting up', '57P03')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['a TypeORM wrapper of a driver error', Object.assign(new Error('read ECONNRESET'), { driverError: { code: 'ECONNRESET' } })],
  ])('recognises %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a lock timeout (Postgres is there, a row is busy)', withCode('canceling statement due to lock timeout', '55P03')],
    ['an SMTP connection error (nodemailer codes its own errors)', withCode('connect ECONNREFUSED 127.0.0.1:25', 'ESOCKET')],
    ['a plain bug', new TypeError('x is undefined')],
    ['something that is not an Error', 'ECONNREFUSED'],
  ])('does not take %s for an unavailable database', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
