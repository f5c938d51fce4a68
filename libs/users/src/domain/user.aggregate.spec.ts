import { validate as isUuid, version as uuidVersion } from 'uuid';
import { Correlation } from '@herald/observability';
import { EmailAddress } from './email-address.js';
import {
  EmailVerified,
  PasswordChanged,
  PasswordResetRequested,
  RegistrationAttemptedForExistingEmail,
  UserRegistered,
  VerificationEmailRequested,
} from './events/user-events.js';
import { User } from './user.aggregate.js';

const USER_ID = '0190f0a0-0000-7000-8000-000000000001';
const NOW = new Date('2025-01-01T00:00:00Z');

function registeredUser(displayName: string | null = 'Ada'): User {
  return User.register({ id: USER_ID, email: EmailAddress.parse('  Ada@Example.COM '), passwordHash: 'hash', displayName, now: NOW });
}

function verifiedUser(): User {
  return User.restore({ ...registeredUser().snapshot, emailVerifiedAt: NOW });
}

describe(User.name, () => {
  describe('register', () => {
    it('applies exactly one UserRegistered with the normalised email and display name', () => {
      const events = registeredUser().getUncommittedEvents();

      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(UserRegistered);
      expect(events[0]!.payload).toEqual({ email: 'ada@example.com', displayName: 'Ada' });
    });

    it('starts unverified with the normalised email', () => {
      const user = registeredUser();

      expect(user.email).toBe('ada@example.com');
      expect(user.isEmailVerified).toBe(false);
    });

    it('gives the event a UUIDv7 id and the user id as aggregate id', () => {
      const [event] = registeredUser().getUncommittedEvents();

      expect(isUuid(event!.eventId)).toBe(true);
      expect(uuidVersion(event!.eventId)).toBe(7);
      expect(event!.aggregateId).toBe(USER_ID);
    });

    it('uses the eventId as correlationId outside a correlation scope', () => {
      const [event] = registeredUser().getUncommittedEvents();

      expect(event!.correlationId).toBe(event!.eventId);
      expect(event!.causationId).toBeNull();
    });

    it('takes correlationId and causationId from the current correlation scope', () => {
      const [event] = Correlation.run({ correlationId: 'req-123', causationId: 'cause-9' }, () => registeredUser().getUncommittedEvents());

      expect(event!.correlationId).toBe('req-123');
      expect(event!.causationId).toBe('cause-9');
    });
  });

  describe('verifyEmail', () => {
    it('applies EmailVerified once and marks the user verified', () => {
      const user = registeredUser();
      user.uncommit();

      user.verifyEmail(NOW);

      const events = user.getUncommittedEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(EmailVerified);
      expect(events[0]!.payload).toEqual({ email: 'ada@example.com' });
      expect(user.emailVerifiedAt).toEqual(NOW);
    });

    it('applies nothing on a second call', () => {
      const user = registeredUser();
      user.verifyEmail(NOW);
      user.uncommit();

      user.verifyEmail(new Date(NOW.getTime() + 1000));

      expect(user.getUncommittedEvents()).toHaveLength(0);
      expect(user.emailVerifiedAt).toEqual(NOW);
    });
  });

  describe('requestVerificationEmail', () => {
    it('applies VerificationEmailRequested for an unverified user', () => {
      const user = registeredUser();
      user.uncommit();

      user.requestVerificationEmail(NOW);

      const events = user.getUncommittedEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(VerificationEmailRequested);
      expect(events[0]!.aggregateId).toBe(USER_ID);
    });

    it('is ignored once the email is verified', () => {
      const user = verifiedUser();

      user.requestVerificationEmail(NOW);

      expect(user.getUncommittedEvents()).toHaveLength(0);
    });
  });

  describe('open verification request (a link is minted only for it)', () => {
    it('is the registration until a newer request supersedes it', () => {
      const user = registeredUser();
      const [registered] = user.getUncommittedEvents();
      expect(user.isVerificationRequestOpen(registered!.eventId)).toBe(true);
      user.uncommit();

      user.requestVerificationEmail(NOW);

      const [requested] = user.getUncommittedEvents();
      expect(user.isVerificationRequestOpen(requested!.eventId)).toBe(true);
      expect(user.isVerificationRequestOpen(registered!.eventId)).toBe(false);
    });

    it('is any request of an account with none on record (made before requests were recorded), until it is verified', () => {
      const user = User.restore({ ...registeredUser().snapshot, openVerificationRequest: null });

      expect(user.isVerificationRequestOpen('0190f0a0-0000-7000-8000-0000000000ff')).toBe(true);
      user.verifyEmail(NOW);
      expect(user.isVerificationRequestOpen('0190f0a0-0000-7000-8000-0000000000ff')).toBe(false);
    });

    it('closes when the address is verified', () => {
      const user = registeredUser();
      const [registered] = user.getUncommittedEvents();

      user.verifyEmail(NOW);

      expect(user.isVerificationRequestOpen(registered!.eventId)).toBe(false);
      expect(user.snapshot.openVerificationRequest).toBeNull();
    });
  });

  describe('noteRegistrationAttempt', () => {
    it('applies RegistrationAttemptedForExistingEmail', () => {
      const user = verifiedUser();

      user.noteRegistrationAttempt();

      const events = user.getUncommittedEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(RegistrationAttemptedForExistingEmail);
      expect(events[0]!.aggregateId).toBe(USER_ID);
    });
  });

  describe('requestPasswordReset', () => {
    it('applies PasswordResetRequested, verified or not', () => {
      for (const user of [registeredUser(), verifiedUser()]) {
        user.uncommit();
        user.requestPasswordReset(NOW);

        expect(user.getUncommittedEvents().map((event) => event.constructor)).toEqual([PasswordResetRequested]);
      }
    });
  });

  describe('open password reset request (a link is minted only for it)', () => {
    const requestReset = (user: User): string => {
      user.uncommit();
      user.requestPasswordReset(NOW);
      return user.getUncommittedEvents()[0]!.eventId;
    };

    it('is the latest request: a newer one supersedes it', () => {
      const user = verifiedUser();
      const first = requestReset(user);
      expect(user.isPasswordResetRequestOpen(first)).toBe(true);

      const second = requestReset(user);

      expect(user.isPasswordResetRequestOpen(first)).toBe(false);
      expect(user.isPasswordResetRequestOpen(second)).toBe(true);
    });

    it('closes when the password changes (used through a link, or changed by the owner)', () => {
      const user = verifiedUser();
      const request = requestReset(user);

      user.changePassword('new-hash', NOW);

      expect(user.isPasswordResetRequestOpen(request)).toBe(false);
    });

    it('is never an arbitrary id', () => {
      expect(verifiedUser().isPasswordResetRequestOpen('0190f0a0-0000-7000-8000-0000000000ff')).toBe(false);
    });
  });

  describe('resetPassword', () => {
    it('changes the password and verifies an unverified address: the link proved the mailbox', () => {
      const user = registeredUser();
      user.uncommit();

      user.resetPassword('new-hash', NOW);

      expect(user.getUncommittedEvents().map((event) => event.constructor)).toEqual([PasswordChanged, EmailVerified]);
      expect(user.snapshot).toMatchObject({ passwordHash: 'new-hash', credentialsVersion: 1, emailVerifiedAt: NOW });
    });

    it('only changes the password of a verified account', () => {
      const user = verifiedUser();

      user.resetPassword('new-hash', NOW);

      expect(user.getUncommittedEvents().map((event) => event.constructor)).toEqual([PasswordChanged]);
    });
  });

  describe('changePassword', () => {
    it('replaces the hash and raises the credentials version, so earlier access tokens stop working', () => {
      const user = verifiedUser();
      const later = new Date('2025-02-01T00:00:00Z');

      user.changePassword('new-hash', later);

      expect(user.snapshot).toMatchObject({ passwordHash: 'new-hash', credentialsVersion: 1, updatedAt: later });
      expect(user.getUncommittedEvents().map((event) => event.constructor)).toEqual([PasswordChanged]);
      user.changePassword('newer-hash', later);
      expect(user.credentialsVersion).toBe(2);
    });
  });
});
