import { CallLog, FakeAccountRequests, FakeHasher, FakeUnitOfWork } from '../../../test/fakes.js';
import { RegisterUserCommand } from './register-user.command.js';
import { RegisterUserHandler } from './register-user.handler.js';

describe(RegisterUserHandler.name, () => {
  const setUp = () => {
    const log = new CallLog();
    const requests = new FakeAccountRequests(log);
    const hasher = new FakeHasher(log);
    return { log, requests, hasher, handler: new RegisterUserHandler(new FakeUnitOfWork(log).as(), requests.as(), hasher.as()) };
  };

  it('hashes the password before the transaction and records a registration request, nothing else', async () => {
    const { log, requests, handler } = setUp();

    await handler.execute(new RegisterUserCommand(' Ada@Example.com ', 'a long enough password', 'Ada'));

    expect(log.calls).toEqual(['hasher.hash', 'uow.run', 'requests.add (tx)']);
    const [request] = [...requests.rows.values()];
    expect(request!.state).toMatchObject({
      kind: 'registration',
      email: 'ada@example.com',
      passwordHash: 'argon2:a long enough password',
      displayName: 'Ada',
    });
    expect(request!.getUncommittedEvents().map((event) => event.constructor.name)).toEqual(['AccountRequestReceived']);
  });

  it('does the same work for every address: it never reads the users', async () => {
    const { log, hasher, handler } = setUp();
    await handler.execute(new RegisterUserCommand('taken@example.com', 'a long enough password'));
    await handler.execute(new RegisterUserCommand('free@example.com', 'a long enough password'));
    expect(hasher.hashed).toBe(2);
    expect(log.calls.filter((call) => call.startsWith('users.'))).toEqual([]);
  });
});
