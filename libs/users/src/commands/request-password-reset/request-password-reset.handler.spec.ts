import { CallLog, FakeAccountRequests, FakeUnitOfWork } from '../../../test/fakes.js';
import { RequestPasswordResetCommand } from './request-password-reset.command.js';
import { RequestPasswordResetHandler } from './request-password-reset.handler.js';

describe(RequestPasswordResetHandler.name, () => {
  it('records a password-reset request for the address, in a transaction, without reading the users', async () => {
    const log = new CallLog();
    const requests = new FakeAccountRequests(log);
    const handler = new RequestPasswordResetHandler(new FakeUnitOfWork(log).as(), requests.as());

    await handler.execute(new RequestPasswordResetCommand('Ada@Example.com'));

    expect(log.calls).toEqual(['uow.run', 'requests.add (tx)']);
    expect([...requests.rows.values()].map((request) => request.state)).toEqual([
      expect.objectContaining({ kind: 'password-reset', email: 'ada@example.com', passwordHash: null }),
    ]);
  });
});
