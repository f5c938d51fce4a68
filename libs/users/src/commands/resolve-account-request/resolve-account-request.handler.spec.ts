import { AccountRequest } from '../../domain/account-request.js';
import { EmailAddress } from '../../domain/email-address.js';
import { CallLog, FakeAccountRequests, FakeUnitOfWork, FakeUsers } from '../../../test/fakes.js';
import { ResolveAccountRequestCommand } from './resolve-account-request.command.js';
import { ResolveAccountRequestHandler } from './resolve-account-request.handler.js';

const REQUEST = '01938a8e-7c00-7000-8000-0000000000f1';
const now = new Date();

describe(ResolveAccountRequestHandler.name, () => {
  const setUp = (request: AccountRequest) => {
    const log = new CallLog();
    const requests = new FakeAccountRequests(log);
    const users = new FakeUsers(log);
    requests.rows.set(request.id, request);
    const handler = new ResolveAccountRequestHandler(new FakeUnitOfWork(log).as(), requests.as(), users.as());
    return { log, users, requests, resolve: () => handler.execute(new ResolveAccountRequestCommand(REQUEST)) };
  };
  const registration = (email: string) =>
    AccountRequest.registration({ id: REQUEST, email: EmailAddress.parse(email), passwordHash: 'argon2:pw', displayName: 'Ada', now });
  const verification = (email: string) => AccountRequest.verificationEmail({ id: REQUEST, email: EmailAddress.parse(email), now });
  const reset = (email: string) => AccountRequest.passwordReset({ id: REQUEST, email: EmailAddress.parse(email), now });

  describe('a registration', () => {
    it('creates the account with the hash taken on the request path, and raises UserRegistered', async () => {
      const { users, requests, resolve } = setUp(registration('ada@example.com'));

      expect(await resolve()).toBe('processed');

      expect(users.eventTypes()).toEqual(['users.UserRegistered']);
      const [registered] = users.events;
      expect(users.stored(registered!.aggregateId)).toMatchObject({
        email: 'ada@example.com',
        passwordHash: 'argon2:pw',
        displayName: 'Ada',
      });
      expect(requests.rows.size).toBe(0); // taken out: the address is not kept
    });

    it('of a taken address changes nothing of that account and notes the attempt (its owner gets a notice)', async () => {
      const { users, resolve } = setUp(registration('ada@example.com'));
      const existing = users.given({ email: 'ada@example.com', passwordHash: 'argon2:original' });

      expect(await resolve()).toBe('processed');

      expect(users.eventTypes()).toEqual(['users.RegistrationAttemptedForExistingEmail']);
      expect(users.stored(existing.id)).toMatchObject({ passwordHash: 'argon2:original' });
    });
  });

  describe('a verification email request', () => {
    it('opens a new verification request of an unverified account, under its row lock', async () => {
      const { log, users, resolve } = setUp(verification('ada@example.com'));
      const user = users.given({ email: 'ada@example.com' });

      expect(await resolve()).toBe('processed');

      expect(users.eventTypes()).toEqual(['users.VerificationEmailRequested']);
      expect(users.stored(user.id)!.openVerificationRequest).toBe(users.events[0]!.eventId);
      expect(log.calls).toContain('users.findByEmailForUpdate (tx)');
    });

    it.each([
      ['an address without an account', false],
      ['a verified address', true],
    ])('raises nothing for %s', async (_case, exists) => {
      const { users, resolve } = setUp(verification('ada@example.com'));
      if (exists) users.given({ email: 'ada@example.com', emailVerifiedAt: now });
      expect(await resolve()).toBe('skipped');
      expect(users.events).toEqual([]);
    });
  });

  describe('a password reset request', () => {
    it('opens a reset request of the account', async () => {
      const { users, resolve } = setUp(reset('ada@example.com'));
      const user = users.given({ email: 'ada@example.com', emailVerifiedAt: now });

      expect(await resolve()).toBe('processed');

      expect(users.eventTypes()).toEqual(['users.PasswordResetRequested']);
      expect(users.stored(user.id)!.openPasswordResetRequest).toBe(users.events[0]!.eventId);
    });

    it('raises nothing for an address without an account', async () => {
      const { users, resolve } = setUp(reset('nobody@example.com'));
      expect(await resolve()).toBe('skipped');
      expect(users.events).toEqual([]);
    });
  });

  it('resolves a request once: a redelivered job finds none and does nothing', async () => {
    const { users, resolve } = setUp(registration('ada@example.com'));
    expect(await resolve()).toBe('processed');
    expect(await resolve()).toBe('duplicate');
    expect(users.events).toHaveLength(1);
  });
});
