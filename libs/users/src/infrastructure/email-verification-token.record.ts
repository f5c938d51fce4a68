import { Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { OneTimeTokenColumns } from './one-time-token.columns.js';
import { UserRecord } from './user.record.js';

/** A verification token (see OneTimeTokenColumns). */
@Entity({ name: 'email_verification_tokens' })
@Index('email_verification_tokens_user_id_idx', ['userId'])
// On LEAST(used_at, revoked_at, expires_at), for retention (token-retention.ts); an expression index TypeORM cannot describe.
@Index('email_verification_tokens_spent_at_idx', { synchronize: false })
export class EmailVerificationTokenRecord extends OneTimeTokenColumns {
  @ManyToOne(() => UserRecord, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'email_verification_tokens_user_id_fkey' })
  user?: Relation<UserRecord>;
}
