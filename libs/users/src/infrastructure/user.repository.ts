import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@herald/events';
import { User, type UserState } from '../domain/user.aggregate.js';
import { UserRecord } from './user.record.js';

/** The columns of a user row (UserRecord maps the same), for the reads written in SQL. */
const USER_COLUMNS = `id, email, password_hash, display_name, email_verified_at, credentials_version,
  open_verification_request, open_password_reset_request, created_at, updated_at`;

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  display_name: string | null;
  email_verified_at: Date | null;
  credentials_version: number;
  open_verification_request: string | null;
  open_password_reset_request: string | null;
  created_at: Date;
  updated_at: Date;
}

function stateOfRow(row: UserRow): UserState {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    displayName: row.display_name,
    emailVerifiedAt: row.email_verified_at,
    credentialsVersion: row.credentials_version,
    openVerificationRequest: row.open_verification_request,
    openPasswordResetRequest: row.open_password_reset_request,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Loads and saves User aggregates. Saving also records the aggregate's new
 * events in the outbox, in the same transaction (UnitOfWork).
 */
@Injectable()
export class UserRepository {
  /** The state each aggregate had when loaded or last saved: an unchanged one needs no UPDATE. */
  private readonly persisted = new WeakMap<User, UserState>();

  constructor(private readonly uow: UnitOfWork) {}

  findById(id: string): Promise<User | null> {
    return this.one('id', id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.one('email', email);
  }

  /** The user's current credentials version, or null when the user no longer exists (checked on every authenticated request). */
  async credentialsVersionOf(id: string): Promise<number | null> {
    const [row] = (await this.uow.manager.query(`SELECT credentials_version FROM users WHERE id = $1`, [id])) as {
      credentials_version: number;
    }[];
    return row ? row.credentials_version : null;
  }

  /** Locks the row for the rest of the transaction (concurrent verifications serialise). */
  findByIdForUpdate(id: string): Promise<User | null> {
    return this.one('id', id, 'FOR UPDATE');
  }

  /** The user of this address, its row locked for the rest of the transaction (a change saved from it overwrites no other). */
  findByEmailForUpdate(email: string): Promise<User | null> {
    return this.one('email', email, 'FOR UPDATE');
  }

  /**
   * One user by a unique column, in plain SQL: these reads are on the email
   * jobs' hot path (every mail reads or locks its user), where the query
   * builder would build the same statement and map it through entity
   * metadata again on every call.
   */
  private async one(column: 'id' | 'email', value: string, lock: '' | 'FOR UPDATE' = ''): Promise<User | null> {
    const [row] = (await this.uow.manager.query(`SELECT ${USER_COLUMNS} FROM users WHERE ${column} = $1 ${lock}`, [value])) as UserRow[];
    return row ? this.toAggregate(stateOfRow(row)) : null;
  }

  /**
   * Inserts a new user unless the email is taken (checked atomically by the
   * unique index). Returns false, writing nothing, when it was taken.
   */
  async insertIfEmailFree(user: User): Promise<boolean> {
    const s = user.snapshot;
    const inserted = (await this.uow.manager.query(
      `INSERT INTO users (id, email, password_hash, display_name, email_verified_at, open_verification_request, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [s.id, s.email, s.passwordHash, s.displayName, s.emailVerifiedAt, s.openVerificationRequest, s.createdAt, s.updatedAt],
    )) as unknown[];
    if (inserted.length === 0) return false;
    await this.uow.recordEventsOf(user);
    return true;
  }

  /**
   * Writes the aggregate's changes and records its new events. The aggregate
   * replaces its state object on every change, so an identical snapshot means
   * nothing to write (a registration attempt on a taken address only raises an event): one round trip less.
   * If the transaction or savepoint rolls back, the aggregate gets its events
   * back and counts as unsaved again, so a retry saves it in full.
   */
  async save(user: User): Promise<void> {
    const s = user.snapshot;
    const before = this.persisted.get(user);
    if (before !== s) {
      await this.uow.manager.update(
        UserRecord,
        { id: s.id },
        {
          displayName: s.displayName,
          emailVerifiedAt: s.emailVerifiedAt,
          passwordHash: s.passwordHash,
          credentialsVersion: s.credentialsVersion,
          openVerificationRequest: s.openVerificationRequest,
          openPasswordResetRequest: s.openPasswordResetRequest,
        },
      );
      this.persisted.set(user, s);
      this.uow.onRollback(() => (before ? this.persisted.set(user, before) : this.persisted.delete(user)));
    }
    await this.uow.recordEventsOf(user);
  }

  private toAggregate(state: UserState): User {
    const user = User.restore(state);
    this.persisted.set(user, user.snapshot);
    return user;
  }
}
