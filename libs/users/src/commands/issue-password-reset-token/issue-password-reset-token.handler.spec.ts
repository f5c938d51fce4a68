import { CallLog, fakeConfig, FakeTokens, FakeUnitOfWork, FakeUsers } from '../../../test/fakes.js';
import { IssuePasswordResetTokenCommand } from './issue-password-reset-token.command.js';
import { IssuePasswordResetTokenHandler } from './issue-password-reset-token.handler.js';

const REQUEST = '01938a8e-7c00-7000-8000-0000000000b1';

describe(IssuePasswordResetTokenHandler.name, () => {
  const setUp = () => {
    const log = new CallLog();
    const users = new FakeUsers(log);
    const tokens = new FakeTokens(log, 'tokens');
    const handler = new IssuePasswordResetTokenHandler(new FakeUnitOfWork(log).as(), users.as(), tokens.asPasswordReset(), fakeConfig);
    return { log, users, tokens, issue: (userId: string) => handler.execute(new IssuePasswordResetTokenCommand(userId, REQUEST)) };
  };

  it("mints a reset link for the user's open request under the user's row lock, leaving one open link", async () => {
    const { log, users, tokens, issue } = setUp();
    const user = users.given({ email: 'ada@example.com', openPasswordResetRequest: REQUEST });

    await issue(user.id);
    const issued = await issue(user.id);

    expect(issued).toEqual({ token: expect.any(String), email: 'ada@example.com', displayName: null, expiresInMinutes: 30 });
    expect(tokens.open(user.id)).toBe(1);
    expect(log.calls.slice(0, 3)).toEqual(['uow.run', 'users.findByIdForUpdate (tx)', 'tokens.mintFor (tx)']);
  });

  it('mints nothing once the request is closed (the password changed, or a newer request came) or the user is gone', async () => {
    const { users, tokens, issue } = setUp();
    const user = users.given({ email: 'ada@example.com', openPasswordResetRequest: null });
    expect(await issue(user.id)).toBeNull();
    expect(await issue('01938a8e-7c00-7000-8000-0000000000ff')).toBeNull();
    expect(tokens.open(user.id)).toBe(0);
  });
});
