// In-memory stand-ins for the users context's infrastructure, for the unit specs of its use cases (command
// handlers). They keep the same rules as the real ones where a handler relies on them (the token rules are
// the domain's own functions), and they log every call, marked "(tx)" inside a unit of work, so a spec can
// check what happens inside the transaction and in which order rows are locked. The real repositories are
// proven against Postgres by the integration tier.
import type { HeraldConfig } from '@herald/config';
import type { DomainEvent, UnitOfWork } from '@herald/events';
import type { AccountRequest } from '../src/domain/account-request.js';
import { EmailAddress } from '../src/domain/email-address.js';
import {
  isTokenUsable,
  mintOneTimeToken,
  parseOneTimeToken,
  verifierMatches,
  type MintedToken,
  type StoredTokenState,
} from '../src/domain/one-time-token.js';
import { User, type UserState } from '../src/domain/user.aggregate.js';
import type { AccessTokens } from '../src/infrastructure/access-tokens.js';
import type { AccountRequestRepository } from '../src/infrastructure/account-request.repository.js';
import type { PasswordResetTokenRepository, VerificationTokenRepository } from '../src/infrastructure/one-time-token.repository.js';
import type { PasswordHasher } from '../src/infrastructure/password-hasher.js';
import type { UserRepository } from '../src/infrastructure/user.repository.js';

/** What the fakes were asked, in order; `name (tx)` when inside a unit of work. */
export class CallLog {
  readonly calls: string[] = [];
  inTransaction = false;
  note(call: string): void {
    this.calls.push(this.inTransaction ? `${call} (tx)` : call);
  }
}

export class FakeUnitOfWork {
  constructor(private readonly log: CallLog) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.log.note('uow.run');
    this.log.inTransaction = true;
    try {
      return await work();
    } finally {
      this.log.inTransaction = false;
    }
  }
  as(): UnitOfWork {
    return this as unknown as UnitOfWork;
  }
}

export class FakeUsers {
  private readonly rows = new Map<string, UserState>();
  /** The events saved with the users, in order (what the outbox would hold). */
  readonly events: DomainEvent[] = [];

  constructor(private readonly log: CallLog) {}

  /** A stored user, as a test arranges it. */
  given(overrides: Partial<UserState> & { email: string }): User {
    const user = User.register({
      id: overrides.id ?? `01938a8e-7c00-7000-8000-${String(this.rows.size + 1).padStart(12, '0')}`,
      email: EmailAddress.parse(overrides.email),
      passwordHash: overrides.passwordHash ?? 'argon2:old password',
      displayName: overrides.displayName ?? null,
      now: new Date(),
    });
    const state = { ...user.snapshot, ...overrides, email: EmailAddress.parse(overrides.email).value };
    this.rows.set(state.id, state);
    return User.restore(state);
  }

  stored(id: string): UserState | undefined {
    return this.rows.get(id);
  }

  eventTypes(): string[] {
    return this.events.map((event) => (event.constructor as { eventType?: string }).eventType ?? event.constructor.name);
  }

  async findById(id: string) {
    this.log.note('users.findById');
    return this.load(this.rows.get(id));
  }
  async findByIdForUpdate(id: string) {
    this.log.note('users.findByIdForUpdate');
    return this.load(this.rows.get(id));
  }
  async findByEmail(email: string) {
    this.log.note('users.findByEmail');
    return this.load(this.byEmail(email));
  }
  async findByEmailForUpdate(email: string) {
    this.log.note('users.findByEmailForUpdate');
    return this.load(this.byEmail(email));
  }
  async insertIfEmailFree(user: User): Promise<boolean> {
    this.log.note('users.insertIfEmailFree');
    if (this.byEmail(user.email)) return false;
    await this.save(user);
    return true;
  }
  async save(user: User): Promise<void> {
    this.log.note('users.save');
    this.rows.set(user.id, user.snapshot);
    this.events.push(...(user.getUncommittedEvents() as DomainEvent[]));
    user.uncommit();
  }

  as(): UserRepository {
    return this as unknown as UserRepository;
  }

  private byEmail(email: string): UserState | undefined {
    return [...this.rows.values()].find((row) => row.email === email);
  }
  private load(state: UserState | undefined): User | null {
    return state ? User.restore(state) : null;
  }
}

interface StoredToken extends StoredTokenState {
  readonly selector: string;
  readonly userId: string;
  readonly verifierHash: string;
}

/** One table of one-time tokens, with the repository's redemption steps on the domain's rules. */
export class FakeTokens {
  private readonly rows = new Map<string, StoredToken>();

  constructor(
    private readonly log: CallLog,
    private readonly name: string,
  ) {}

  async mintFor(userId: string, ttlMs: number, now: Date): Promise<MintedToken> {
    this.log.note(`${this.name}.mintFor`);
    this.revoke(userId, now);
    const minted = mintOneTimeToken();
    this.rows.set(minted.selector, {
      selector: minted.selector,
      userId,
      verifierHash: minted.verifierHash,
      expiresAt: new Date(now.getTime() + ttlMs),
      usedAt: null,
      revokedAt: null,
    });
    return minted;
  }

  async findRedeemable(presented: string, now: Date): Promise<StoredToken | null> {
    this.log.note(`${this.name}.findRedeemable`);
    const parts = parseOneTimeToken(presented);
    const found = parts ? this.rows.get(parts.selector) : undefined;
    return found && verifierMatches(parts!.verifier, found.verifierHash) && isTokenUsable(found, now) ? found : null;
  }

  async redeem(token: StoredToken, now: Date): Promise<boolean> {
    this.log.note(`${this.name}.redeem`);
    const current = this.rows.get(token.selector);
    if (!current || !isTokenUsable(current, now)) return false;
    this.rows.set(current.selector, { ...current, usedAt: now });
    this.revoke(current.userId, now);
    return true;
  }

  async revokeOpen(userId: string, now: Date): Promise<void> {
    this.log.note(`${this.name}.revokeOpen`);
    this.revoke(userId, now);
  }

  /** Tokens of the user still usable at `now`. */
  open(userId: string, now = new Date()): number {
    return [...this.rows.values()].filter((row) => row.userId === userId && isTokenUsable(row, now)).length;
  }

  /** Lets a stored token expire (as time passing would). */
  expire(token: string): void {
    const selector = token.split('.')[0]!;
    this.rows.set(selector, { ...this.rows.get(selector)!, expiresAt: new Date(0) });
  }

  asVerification(): VerificationTokenRepository {
    return this as unknown as VerificationTokenRepository;
  }
  asPasswordReset(): PasswordResetTokenRepository {
    return this as unknown as PasswordResetTokenRepository;
  }

  private revoke(userId: string, now: Date): void {
    for (const row of this.rows.values()) {
      if (row.userId === userId && row.usedAt === null && row.revokedAt === null) this.rows.set(row.selector, { ...row, revokedAt: now });
    }
  }
}

/** Argon2 stand-in: `argon2:<password>`; counts its work, which must not depend on whether an account exists. */
export class FakeHasher {
  hashed = 0;
  verified: (string | null)[] = [];
  constructor(private readonly log: CallLog) {}
  async hash(password: string): Promise<string> {
    this.log.note('hasher.hash');
    this.hashed++;
    return `argon2:${password}`;
  }
  async verify(passwordHash: string | null, password: string): Promise<boolean> {
    this.log.note('hasher.verify');
    this.verified.push(passwordHash);
    return passwordHash === `argon2:${password}`;
  }
  as(): PasswordHasher {
    return this as unknown as PasswordHasher;
  }
}

export class FakeAccountRequests {
  readonly rows = new Map<string, AccountRequest>();
  constructor(private readonly log: CallLog) {}
  async add(request: AccountRequest): Promise<void> {
    this.log.note('requests.add');
    this.rows.set(request.id, request);
  }
  async take(id: string): Promise<AccountRequest | null> {
    this.log.note('requests.take');
    const request = this.rows.get(id) ?? null;
    this.rows.delete(id);
    return request;
  }
  as(): AccountRequestRepository {
    return this as unknown as AccountRequestRepository;
  }
}

export class FakeAccessTokens {
  async issue(user: { id: string; credentialsVersion: number }) {
    return { accessToken: `jwt(${user.id}, v${user.credentialsVersion})`, tokenType: 'Bearer' as const, expiresIn: 900 };
  }
  as(): AccessTokens {
    return this as unknown as AccessTokens;
  }
}

export const fakeConfig = { auth: { verificationTokenTtlHours: 48, passwordResetTokenTtlMinutes: 30 } } as HeraldConfig;
