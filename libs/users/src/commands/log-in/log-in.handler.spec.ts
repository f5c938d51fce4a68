import { EmailNotVerifiedError, InvalidCredentialsError } from '../../domain/domain-errors.js';
import { CallLog, FakeAccessTokens, FakeHasher, FakeUsers } from '../../../test/fakes.js';
import { LogInCommand } from './log-in.command.js';
import { LogInHandler } from './log-in.handler.js';

describe(LogInHandler.name, () => {
  const setUp = () => {
    const log = new CallLog();
    const users = new FakeUsers(log);
    const hasher = new FakeHasher(log);
    const verified = users.given({ email: 'ada@example.com', emailVerifiedAt: new Date(), passwordHash: 'argon2:right' });
    users.given({ email: 'new@example.com', passwordHash: 'argon2:right' });
    const handler = new LogInHandler(users.as(), hasher.as(), new FakeAccessTokens().as());
    return { hasher, verified, logIn: (email: string, password: string) => handler.execute(new LogInCommand(email, password)) };
  };

  it('issues an access token for the right password of a verified account (the address as typed, trimmed, any case)', async () => {
    const { verified, logIn } = setUp();
    expect(await logIn(' Ada@Example.com ', 'right')).toMatchObject({ accessToken: `jwt(${verified.id}, v0)`, tokenType: 'Bearer' });
  });

  it('refuses a wrong password and an unknown address alike, checking a password in both cases (no timing difference)', async () => {
    const { hasher, logIn } = setUp();
    await expect(logIn('ada@example.com', 'wrong')).rejects.toThrow(InvalidCredentialsError);
    await expect(logIn('nobody@example.com', 'right')).rejects.toThrow(InvalidCredentialsError);
    expect(hasher.verified).toEqual(['argon2:right', null]); // null: the hasher checks against its decoy
  });

  it('tells an unverified account so only after the right password', async () => {
    const { logIn } = setUp();
    await expect(logIn('new@example.com', 'wrong')).rejects.toThrow(InvalidCredentialsError);
    await expect(logIn('new@example.com', 'right')).rejects.toThrow(EmailNotVerifiedError);
  });
});
