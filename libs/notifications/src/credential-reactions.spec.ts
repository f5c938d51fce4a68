import { reactionsOf } from '@herald/events';
import { AccountEmails } from './account-emails.js';

// outbox:replay warns of every delivery of a reaction that mints credentials (issue 19, item 8): the
// reactions whose job mints a verification or reset link must say so, and no other.
describe(`${AccountEmails.name} reactions`, () => {
  it('declare mintsCredentials exactly on those that mail a verification or reset link', () => {
    const minting = reactionsOf(AccountEmails)
      .filter((reaction) => reaction.mintsCredentials)
      .map((reaction) => reaction.name)
      .sort();

    expect(minting).toEqual(['password-reset-email-on-request', 'verification-email-on-registration', 'verification-email-on-request']);
    expect(reactionsOf(AccountEmails).length).toBeGreaterThan(minting.length);
  });
});
