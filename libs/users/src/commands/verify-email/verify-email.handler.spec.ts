import { InvalidVerificationTokenError } from '../../domain/domain-errors.js';
import { CallLog, FakeTokens, FakeUnitOfWork, FakeUsers } from '../../../test/fakes.js';
import { VerifyEmailCommand } from './verify-email.command.js';
import { VerifyEmailHandler } from './verify-email.handler.js';

describe(VerifyEmailHandler.name, () => {
  const setUp = async () => {
    const log = new CallLog();
    const users = new FakeUsers(log);
    const tokens = new FakeTokens(log, 'tokens');
    const user = users.given({ email: 'ada@example.com' });
    const { token } = await tokens.mintFor(user.id, 60_000, new Date());
    log.calls.length = 0;
    const handler = new VerifyEmailHandler(new FakeUnitOfWork(log).as(), users.as(), tokens.asVerification());
    return { log, users, tokens, user, token, verify: (presented: string) => handler.execute(new VerifyEmailCommand(presented)) };
  };

  it('verifies the address with a valid token, uses the token up and raises EmailVerified', async () => {
    const { log, users, tokens, user, token, verify } = await setUp();

    const view = await verify(token);

    expect(view).toMatchObject({ id: user.id, email: 'ada@example.com', emailVerified: true });
    expect(users.eventTypes()).toEqual(['users.EmailVerified']);
    expect(tokens.open(user.id)).toBe(0);
    // The token is looked up before the transaction; inside it the user's row is locked before the token's.
    expect(log.calls).toEqual([
      'tokens.findRedeemable',
      'uow.run',
      'users.findByIdForUpdate (tx)',
      'tokens.redeem (tx)',
      'users.save (tx)',
    ]);
  });

  it('accepts a token once', async () => {
    const { users, token, verify } = await setUp();
    await verify(token);
    await expect(verify(token)).rejects.toThrow(InvalidVerificationTokenError);
    expect(users.events).toHaveLength(1);
  });

  it.each([
    ['an unknown token', (token: string) => `${'A'.repeat(16)}.${token.split('.')[1]}`],
    ['a tampered token', (token: string) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
    ['text that is no token', () => 'not-a-token'],
  ])('refuses %s with the one error, opening no transaction', async (_case, presented) => {
    const { log, users, token, verify } = await setUp();
    await expect(verify(presented(token))).rejects.toThrow(InvalidVerificationTokenError);
    expect(log.calls).not.toContain('uow.run');
    expect(users.events).toEqual([]);
  });

  it('refuses an expired token and one replaced by a newer link', async () => {
    const { users, tokens, user, token, verify } = await setUp();
    const { token: newer } = await tokens.mintFor(user.id, 60_000, new Date());
    await expect(verify(token)).rejects.toThrow(InvalidVerificationTokenError);
    tokens.expire(newer);
    await expect(verify(newer)).rejects.toThrow(InvalidVerificationTokenError);
    expect(users.events).toEqual([]);
  });
});
