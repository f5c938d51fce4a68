import { AggregateRoot } from '@nestjs/cqrs';
import type { DomainEvent } from '@herald/events';
import type { EmailAddress } from './email-address.js';
import {
  EmailVerified,
  PasswordChanged,
  PasswordResetRequested,
  RegistrationAttemptedForExistingEmail,
  UserRegistered,
  VerificationEmailRequested,
} from './events/user-events.js';

export interface UserState {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly displayName: string | null;
  readonly emailVerifiedAt: Date | null;
  /** Raised by every password change: access tokens of an earlier value are no longer accepted. */
  readonly credentialsVersion: number;
  /**
   * The latest verification request (the id of its UserRegistered or
   * VerificationEmailRequested event): a link is minted for it only, until the
   * address is verified (then null).
   */
  readonly openVerificationRequest: string | null;
  /**
   * The password reset request (its PasswordResetRequested event id) a reset
   * link may still be minted for: the latest one, until the credentials change
   * (a used link changes them). Null when none is open.
   */
  readonly openPasswordResetRequest: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The user account. Every change is expressed as a domain event. */
export class User extends AggregateRoot<DomainEvent> {
  private constructor(private state: UserState) {
    super();
  }

  static register(input: { id: string; email: EmailAddress; passwordHash: string; displayName: string | null; now: Date }): User {
    const registered = UserRegistered.create(input.id, { email: input.email.value, displayName: input.displayName });
    const user = new User({
      id: input.id,
      email: input.email.value,
      passwordHash: input.passwordHash,
      displayName: input.displayName,
      emailVerifiedAt: null,
      credentialsVersion: 0,
      openVerificationRequest: registered.eventId,
      openPasswordResetRequest: null,
      createdAt: input.now,
      updatedAt: input.now,
    });
    user.apply(registered);
    return user;
  }

  static restore(state: UserState): User {
    return new User(state);
  }

  get id(): string {
    return this.state.id;
  }
  get email(): string {
    return this.state.email;
  }
  get passwordHash(): string {
    return this.state.passwordHash;
  }
  get displayName(): string | null {
    return this.state.displayName;
  }
  get emailVerifiedAt(): Date | null {
    return this.state.emailVerifiedAt;
  }
  get credentialsVersion(): number {
    return this.state.credentialsVersion;
  }
  /**
   * Whether a verification link may be minted for this request (an event id):
   * the address is not yet verified, and no later request superseded it. (An
   * account with no request on record — made before requests were recorded —
   * accepts any: every new request records itself.)
   */
  isVerificationRequestOpen(requestId: string): boolean {
    const latest = this.state.openVerificationRequest;
    return !this.isEmailVerified && (latest === null || latest === requestId);
  }
  /** Whether a reset link may be minted for this request (an event id): the latest one, credentials unchanged since. */
  isPasswordResetRequestOpen(requestId: string): boolean {
    return this.state.openPasswordResetRequest === requestId;
  }
  get isEmailVerified(): boolean {
    return this.state.emailVerifiedAt !== null;
  }
  get snapshot(): UserState {
    return this.state;
  }

  /** Marks the address verified (no verification request stays open); a second call changes nothing and raises no event. */
  verifyEmail(now: Date): void {
    if (this.isEmailVerified) return;
    this.state = { ...this.state, emailVerifiedAt: now, openVerificationRequest: null, updatedAt: now };
    this.apply(EmailVerified.create(this.id, { email: this.email }));
  }

  /** Asks for a fresh verification email, which supersedes earlier requests; ignored once the address is verified. */
  requestVerificationEmail(now: Date): void {
    if (this.isEmailVerified) return;
    const requested = VerificationEmailRequested.create(this.id, {});
    this.state = { ...this.state, openVerificationRequest: requested.eventId, updatedAt: now };
    this.apply(requested);
  }

  /** Someone asked to reset the password; the owner gets a link to do it (earlier requests are superseded). */
  requestPasswordReset(now: Date): void {
    const requested = PasswordResetRequested.create(this.id, {});
    this.state = { ...this.state, openPasswordResetRequest: requested.eventId, updatedAt: now };
    this.apply(requested);
  }

  /**
   * Sets a new password; every access token issued before stops working, no
   * reset request made before stays open (its link, minted or not, must not
   * undo this change), and the owner is told.
   */
  changePassword(passwordHash: string, now: Date): void {
    this.state = {
      ...this.state,
      passwordHash,
      credentialsVersion: this.state.credentialsVersion + 1,
      openPasswordResetRequest: null,
      updatedAt: now,
    };
    this.apply(PasswordChanged.create(this.id, {}));
  }

  /**
   * A new password set through an emailed reset link. The link proves control
   * of the mailbox just as a verification link does, so an unverified address
   * becomes verified too (EmailVerified, as verification raises it).
   */
  resetPassword(passwordHash: string, now: Date): void {
    this.changePassword(passwordHash, now);
    this.verifyEmail(now);
  }

  /** Someone tried to register this address again; its owner gets a notice. */
  noteRegistrationAttempt(): void {
    this.apply(RegistrationAttemptedForExistingEmail.create(this.id, {}));
  }
}
