import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserRecord {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** Normalised (trimmed, lower-case); unique. */
  @Column({ type: 'varchar', length: 254, unique: true })
  email!: string;

  /** Argon2id PHC string. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt!: Date | null;

  /** Raised by every password change: access tokens issued under an earlier value are refused. */
  @Column({ name: 'credentials_version', type: 'integer', default: 0 })
  credentialsVersion!: number;

  /** The event id of the verification request a link may still be minted for (see UserState). */
  @Column({ name: 'open_verification_request', type: 'uuid', nullable: true })
  openVerificationRequest!: string | null;

  /** The event id of the password reset request a link may still be minted for (see UserState). */
  @Column({ name: 'open_password_reset_request', type: 'uuid', nullable: true })
  openPasswordResetRequest!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
