import { CallLog, fakeConfig, FakeTokens, FakeUnitOfWork, FakeUsers } from '../../../test/fakes.js';
import { IssueEmailVerificationTokenCommand } from './issue-email-verification-token.command.js';
import { IssueEmailVerificationTokenHandler } from './issue-email-verification-token.handler.js';

const REQUEST = '01938a8e-7c00-7000-8000-0000000000a1';
const LATER = '01938a8e-7c00-7000-8000-0000000000a2';

describe(IssueEmailVerificationTokenHandler.name, () => {
  const setUp = () => {
    const log = new CallLog();
    const users = new FakeUsers(log);
    const tokens = new FakeTokens(log, 'tokens');
    const handler = new IssueEmailVerificationTokenHandler(new FakeUnitOfWork(log).as(), users.as(), tokens.asVerification(), fakeConfig);
    return {
      log,
      users,
      tokens,
      issue: (userId: string, request = REQUEST) => handler.execute(new IssueEmailVerificationTokenCommand(userId, request)),
    };
  };

  it("mints a link for the user's open request under the user's row lock, and revokes older links", async () => {
    const { log, users, tokens, issue } = setUp();
    const user = users.given({ email: 'ada@example.com', displayName: 'Ada', openVerificationRequest: REQUEST });

    const first = await issue(user.id);
    const second = await issue(user.id);

    expect(second).toEqual({ token: expect.any(String), email: 'ada@example.com', displayName: 'Ada', expiresInHours: 48 });
    expect(second!.token).not.toBe(first!.token);
    expect(tokens.open(user.id)).toBe(1);
    expect(log.calls.slice(0, 3)).toEqual(['uow.run', 'users.findByIdForUpdate (tx)', 'tokens.mintFor (tx)']);
  });

  it.each([
    ['the address was verified meanwhile', { emailVerifiedAt: new Date(), openVerificationRequest: null }],
    ['a later request superseded this one', { openVerificationRequest: LATER }],
  ])('mints nothing when %s', async (_case, state) => {
    const { users, tokens, issue } = setUp();
    const user = users.given({ email: 'ada@example.com', ...state });
    expect(await issue(user.id)).toBeNull();
    expect(tokens.open(user.id)).toBe(0);
  });

  it('mints nothing for a user who is gone', async () => {
    const { issue } = setUp();
    expect(await issue('01938a8e-7c00-7000-8000-0000000000ff')).toBeNull();
  });
});
