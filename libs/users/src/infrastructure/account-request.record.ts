import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountRequestKind } from '../domain/account-request-kind.js';

/**
 * A request that names an address, waiting for the worker to resolve it
 * (AccountRequest). Deleted when resolved, so an address stays here for
 * seconds; one whose resolution failed for good is pruned with the spent
 * tokens (TokenRetention). No index on the address: nothing looks a request
 * up by it.
 */
@Entity({ name: 'account_requests' })
@Index('account_requests_created_at_idx', ['createdAt'])
export class AccountRequestRecord {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: AccountRequestKind;

  /** Normalised (trimmed, lower-case). */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** Registration only: Argon2id PHC string. */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ name: 'display_name', type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
