import { Column, CreateDateColumn, PrimaryColumn } from 'typeorm';

/**
 * The columns every one-time token table has (verification, password reset):
 * only the selector and the SHA-256 of the verifier are stored. Each table's
 * entity adds its user relation and index names.
 */
export abstract class OneTimeTokenColumns {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  selector!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'verifier_hash', type: 'varchar', length: 64 })
  verifierHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  /** Set when a newer token replaced this one (or, for reset tokens, the password changed). */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
