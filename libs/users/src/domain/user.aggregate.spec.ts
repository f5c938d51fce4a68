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

      user.requestVerificationEmail();

      const events = user.getUncommittedEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(VerificationEmailRequested);
      expect(events[0]!.aggregateId).toBe(USER_ID);
    });

    it('is ignored once the email is verified', () => {
      const user = verifiedUser();

      user.requestVerificationEmail();

      expect(user.getUncommittedEvents()).toHaveLength(0);
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
        user.requestPasswordReset();

        expect(user.getUncommittedEvents().map((event) => event.constructor)).toEqual([PasswordResetRequested]);
      }
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
