import { CallLog, FakeAccountRequests, FakeUnitOfWork } from '../../../test/fakes.js';
import { ResendVerificationEmailCommand } from './resend-verification-email.command.js';
import { ResendVerificationEmailHandler } from './resend-verification-email.handler.js';

describe(ResendVerificationEmailHandler.name, () => {
  it('records a verification-email request for the address, in a transaction, without reading the users', async () => {
    const log = new CallLog();
    const requests = new FakeAccountRequests(log);
    const handler = new ResendVerificationEmailHandler(new FakeUnitOfWork(log).as(), requests.as());

    await handler.execute(new ResendVerificationEmailCommand('Ada@Example.com'));

    expect(log.calls).toEqual(['uow.run', 'requests.add (tx)']);
    expect([...requests.rows.values()].map((request) => request.state)).toEqual([
      expect.objectContaining({ kind: 'verification-email', email: 'ada@example.com', passwordHash: null }),
    ]);
  });
});
