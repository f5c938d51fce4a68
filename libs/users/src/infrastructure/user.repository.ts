import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@herald/events';
import { User, type UserState } from '../domain/user.aggregate.js';
import { UserRecord } from './user.record.js';

/**
 * Loads and saves User aggregates. Saving also records the aggregate's new
 * events in the outbox, in the same transaction (UnitOfWork).
 */
@Injectable()
export class UserRepository {
  /** The state each aggregate had when loaded or last saved: an unchanged one needs no UPDATE. */
  private readonly persisted = new WeakMap<User, UserState>();

  constructor(private readonly uow: UnitOfWork) {}

  async findById(id: string): Promise<User | null> {
    const record = await this.uow.manager.findOneBy(UserRecord, { id });
    return record ? this.toAggregate(record) : null;
  }

  async findByEmail(email: string): Promise<User | null> {
    const record = await this.uow.manager.findOneBy(UserRecord, { email });
    return record ? this.toAggregate(record) : null;
  }

  /** The user's current credentials version, or null when the user no longer exists (checked on every authenticated request). */
  async credentialsVersionOf(id: string): Promise<number | null> {
    const [row] = (await this.uow.manager.query(`SELECT credentials_version FROM users WHERE id = $1`, [id])) as {
      credentials_version: number;
    }[];
    return row ? row.credentials_version : null;
  }

  /** Locks the row for the rest of the transaction (concurrent verifications serialise). */
  async findByIdForUpdate(id: string): Promise<User | null> {
    const record = await this.uow.manager
      .createQueryBuilder(UserRecord, 'u')
      .setLock('pessimistic_write')
      .where('u.id = :id', { id })
      .getOne();
    return record ? this.toAggregate(record) : null;
  }

  /** The user of this address, its row locked for the rest of the transaction (a change saved from it overwrites no other). */
  async findByEmailForUpdate(email: string): Promise<User | null> {
    const record = await this.uow.manager
      .createQueryBuilder(UserRecord, 'u')
      .setLock('pessimistic_write')
      .where('u.email = :email', { email })
      .getOne();
    return record ? this.toAggregate(record) : null;
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

  private toAggregate(record: UserRecord): User {
    const user = User.restore({
      id: record.id,
      email: record.email,
      passwordHash: record.passwordHash,
      displayName: record.displayName,
      emailVerifiedAt: record.emailVerifiedAt,
      credentialsVersion: record.credentialsVersion,
      openVerificationRequest: record.openVerificationRequest,
      openPasswordResetRequest: record.openPasswordResetRequest,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    });
    this.persisted.set(user, user.snapshot);
    return user;
  }
}
