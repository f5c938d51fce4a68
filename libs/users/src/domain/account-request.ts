import { AggregateRoot } from '@nestjs/cqrs';
import type { DomainEvent } from '@herald/events';
import type { AccountRequestKind } from './account-request-kind.js';
import type { EmailAddress } from './email-address.js';
import { AccountRequestReceived } from './events/user-events.js';

export interface AccountRequestState {
  readonly id: string;
  readonly kind: AccountRequestKind;
  /** Normalised; kept only until the request is resolved. */
  readonly email: string;
  /** Registration only: the Argon2id hash of the chosen password (hashed on the request path, whatever the outcome). */
  readonly passwordHash: string | null;
  /** Registration only. */
  readonly displayName: string | null;
  readonly createdAt: Date;
}

/**
 * A request that names an address (register, resend verification, reset) and
 * must not reveal whether an account uses it. Receiving one does the same work
 * for every address — one row, one event — and never looks at the users table;
 * the worker resolves it later (ResolveAccountRequestHandler) and deletes it.
 */
export class AccountRequest extends AggregateRoot<DomainEvent> {
  private constructor(readonly state: AccountRequestState) {
    super();
  }

  static registration(input: {
    id: string;
    email: EmailAddress;
    passwordHash: string;
    displayName: string | null;
    now: Date;
  }): AccountRequest {
    return AccountRequest.receive({ ...input, kind: 'registration' });
  }

  static verificationEmail(input: { id: string; email: EmailAddress; now: Date }): AccountRequest {
    return AccountRequest.receive({ ...input, kind: 'verification-email', passwordHash: null, displayName: null });
  }

  static passwordReset(input: { id: string; email: EmailAddress; now: Date }): AccountRequest {
    return AccountRequest.receive({ ...input, kind: 'password-reset', passwordHash: null, displayName: null });
  }

  static restore(state: AccountRequestState): AccountRequest {
    return new AccountRequest(state);
  }

  private static receive(input: {
    id: string;
    kind: AccountRequestKind;
    email: EmailAddress;
    passwordHash: string | null;
    displayName: string | null;
    now: Date;
  }): AccountRequest {
    const request = new AccountRequest({
      id: input.id,
      kind: input.kind,
      email: input.email.value,
      passwordHash: input.passwordHash,
      displayName: input.displayName,
      createdAt: input.now,
    });
    request.apply(AccountRequestReceived.create(input.id, { kind: input.kind }));
    return request;
  }

  get id(): string {
    return this.state.id;
  }
  get kind(): AccountRequestKind {
    return this.state.kind;
  }
  get email(): string {
    return this.state.email;
  }
}
