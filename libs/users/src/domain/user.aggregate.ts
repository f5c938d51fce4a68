import { AggregateRoot } from '@nestjs/cqrs';
import type { DomainEvent } from '@herald/events';
import type { EmailAddress } from './email-address.js';
import { EmailVerified, RegistrationAttemptedForExistingEmail, UserRegistered, VerificationEmailRequested } from './events/user-events.js';

export interface UserState {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly displayName: string | null;
  readonly emailVerifiedAt: Date | null;
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

  /** Someone tried to register this address again; its owner gets a notice. */
  noteRegistrationAttempt(): void {
    this.apply(RegistrationAttemptedForExistingEmail.create(this.id, {}));
  }
}
