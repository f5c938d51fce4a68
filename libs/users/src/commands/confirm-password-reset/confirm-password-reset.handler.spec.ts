import { InvalidResetTokenError } from '../../domain/domain-errors.js';
import { CallLog, FakeHasher, FakeTokens, FakeUnitOfWork, FakeUsers } from '../../../test/fakes.js';
import { ConfirmPasswordResetCommand } from './confirm-password-reset.command.js';
import { ConfirmPasswordResetHandler } from './confirm-password-reset.handler.js';

const NEW_PASSWORD = 'a brand new password';

describe(ConfirmPasswordResetHandler.name, () => {
  const setUp = async (options: { verified: boolean }) => {
    const log = new CallLog();
    const users = new FakeUsers(log);
    const resetTokens = new FakeTokens(log, 'resetTokens');
    const verificationTokens = new FakeTokens(log, 'verificationTokens');
    const hasher = new FakeHasher(log);
    const user = users.given({ email: 'ada@example.com', emailVerifiedAt: options.verified ? new Date() : null });
    const { token } = await resetTokens.mintFor(user.id, 60_000, new Date());
    await verificationTokens.mintFor(user.id, 60_000, new Date());
    log.calls.length = 0;
    const handler = new ConfirmPasswordResetHandler(
      new FakeUnitOfWork(log).as(),
      users.as(),
      resetTokens.asPasswordReset(),
      verificationTokens.asVerification(),
      hasher.as(),
    );
    const confirm = (presented: string) => handler.execute(new ConfirmPasswordResetCommand(presented, NEW_PASSWORD));
    return { log, users, resetTokens, verificationTokens, hasher, user, token, confirm };
  };

  it('sets the new password with a valid link, uses the link up, and raises PasswordChanged', async () => {
    const { log, users, resetTokens, verificationTokens, user, token, confirm } = await setUp({ verified: true });

    await confirm(token);

    expect(users.stored(user.id)).toMatchObject({ passwordHash: `argon2:${NEW_PASSWORD}`, credentialsVersion: 1 });
    expect(users.eventTypes()).toEqual(['users.PasswordChanged']);
    expect(resetTokens.open(user.id)).toBe(0);
    expect(verificationTokens.open(user.id)).toBe(1); // a verified address has nothing to revoke
    // Argon2 runs before the transaction: no row lock waits for it. The user is locked before the token.
    expect(log.calls).toEqual([
      'resetTokens.findRedeemable',
      'hasher.hash',
      'uow.run',
      'users.findByIdForUpdate (tx)',
      'resetTokens.redeem (tx)',
      'users.save (tx)',
    ]);
  });

  it('verifies an unverified address too (the link proves the mailbox) and revokes its open verification links', async () => {
    const { users, verificationTokens, user, token, confirm } = await setUp({ verified: false });

    await confirm(token);

    expect(users.eventTypes()).toEqual(['users.PasswordChanged', 'users.EmailVerified']);
    expect(verificationTokens.open(user.id)).toBe(0);
  });

  it('refuses a used, an expired or an unknown link with the one error, and hashes nothing for it', async () => {
    const { users, resetTokens, hasher, token, confirm } = await setUp({ verified: true });
    await confirm(token);
    const hashed = hasher.hashed;

    await expect(confirm(token)).rejects.toThrow(InvalidResetTokenError);
    const { token: expired } = await resetTokens.mintFor(users.events[0]!.aggregateId, 60_000, new Date());
    resetTokens.expire(expired);
    await expect(confirm(expired)).rejects.toThrow(InvalidResetTokenError);
    await expect(confirm('not-a-token')).rejects.toThrow(InvalidResetTokenError);

    expect(hasher.hashed).toBe(hashed);
    expect(users.events).toHaveLength(1);
  });

  it('refuses a link used by a concurrent request while the password was being hashed', async () => {
    const { users, resetTokens, user, token, log, confirm } = await setUp({ verified: true });
    const original = resetTokens.redeem.bind(resetTokens);
    // The other request redeems the same link first, between this one's lookup and its transaction.
    resetTokens.redeem = async (found, now) => (await original(found, now)) && original(found, now);
    await expect(confirm(token)).rejects.toThrow(InvalidResetTokenError);
    expect(users.stored(user.id)).toMatchObject({ passwordHash: 'argon2:old password' });
    expect(log.calls).not.toContain('users.save (tx)');
  });
});
