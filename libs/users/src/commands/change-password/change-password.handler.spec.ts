import { WrongCurrentPasswordError } from '../../domain/domain-errors.js';
import { CallLog, FakeHasher, FakeTokens, FakeUnitOfWork, FakeUsers } from '../../../test/fakes.js';
import { ChangePasswordCommand } from './change-password.command.js';
import { ChangePasswordHandler } from './change-password.handler.js';

describe(ChangePasswordHandler.name, () => {
  const setUp = async () => {
    const log = new CallLog();
    const users = new FakeUsers(log);
    const resetTokens = new FakeTokens(log, 'resetTokens');
    const hasher = new FakeHasher(log);
    const user = users.given({ email: 'ada@example.com', emailVerifiedAt: new Date(), passwordHash: 'argon2:the current one' });
    await resetTokens.mintFor(user.id, 60_000, new Date());
    log.calls.length = 0;
    const handler = new ChangePasswordHandler(new FakeUnitOfWork(log).as(), users.as(), resetTokens.asPasswordReset(), hasher.as());
    const change = (current: string) => handler.execute(new ChangePasswordCommand(user.id, current, 'a brand new password'));
    return { log, users, resetTokens, user, change };
  };

  it('sets the new password for a user who knows the current one, raises PasswordChanged and closes open reset links', async () => {
    const { log, users, resetTokens, user, change } = await setUp();

    await change('the current one');

    expect(users.stored(user.id)).toMatchObject({ passwordHash: 'argon2:a brand new password', credentialsVersion: 1 });
    expect(users.eventTypes()).toEqual(['users.PasswordChanged']);
    expect(resetTokens.open(user.id)).toBe(0);
    // Both Argon2 runs before the transaction.
    expect(log.calls.slice(0, 4)).toEqual(['users.findById', 'hasher.verify', 'hasher.hash', 'uow.run']);
  });

  it('refuses a wrong current password and changes nothing', async () => {
    const { users, resetTokens, user, change } = await setUp();
    await expect(change('a wrong guess')).rejects.toThrow(WrongCurrentPasswordError);
    expect(users.stored(user.id)).toMatchObject({ passwordHash: 'argon2:the current one', credentialsVersion: 0 });
    expect(resetTokens.open(user.id)).toBe(1);
  });

  it('refuses when another change came in between the check and the transaction (the checked password is no longer current)', async () => {
    const { users, user, change } = await setUp();
    const findByIdForUpdate = users.findByIdForUpdate.bind(users);
    users.findByIdForUpdate = async (id) => {
      const locked = await findByIdForUpdate(id);
      locked!.changePassword('argon2:set elsewhere', new Date());
      return locked;
    };
    await expect(change('the current one')).rejects.toThrow(WrongCurrentPasswordError);
    expect(users.stored(user.id)).toMatchObject({ passwordHash: 'argon2:the current one' });
  });
});
