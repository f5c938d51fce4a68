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
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The user account. Every change is expressed as a domain event. */
export class User extends AggregateRoot<DomainEvent> {
  private constructor(private state: UserState) {
    super();
  }

  static register(input: { id: string; email: EmailAddress; passwordHash: string; displayName: string | null; now: Date }): User {
    const user = new User({
      id: input.id,
      email: input.email.value,
      passwordHash: input.passwordHash,
      displayName: input.displayName,
      emailVerifiedAt: null,
      credentialsVersion: 0,
      createdAt: input.now,
      updatedAt: input.now,
    });
    user.apply(UserRegistered.create(input.id, { email: input.email.value, displayName: input.displayName }));
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
  get isEmailVerified(): boolean {
    return this.state.emailVerifiedAt !== null;
  }
  get snapshot(): UserState {
    return this.state;
  }

  /** Marks the address verified; a second call changes nothing and raises no event. */
  verifyEmail(now: Date): void {
    if (this.isEmailVerified) return;
    this.state = { ...this.state, emailVerifiedAt: now, updatedAt: now };
    this.apply(EmailVerified.create(this.id, { email: this.email }));
  }

  /** Asks for a fresh verification email; ignored once the address is verified. */
  requestVerificationEmail(): void {
    if (this.isEmailVerified) return;
    this.apply(VerificationEmailRequested.create(this.id, {}));
  }

  /** Someone asked to reset the password; the owner gets a link to do it. */
  requestPasswordReset(): void {
    this.apply(PasswordResetRequested.create(this.id, {}));
  }

  /** Sets a new password; every access token issued before stops working, and the owner is told. */
  changePassword(passwordHash: string, now: Date): void {
    this.state = { ...this.state, passwordHash, credentialsVersion: this.state.credentialsVersion + 1, updatedAt: now };
    this.apply(PasswordChanged.create(this.id, {}));
  }

  /** Someone tried to register this address again; its owner gets a notice. */
  noteRegistrationAttempt(): void {
    this.apply(RegistrationAttemptedForExistingEmail.create(this.id, {}));
  }
}
