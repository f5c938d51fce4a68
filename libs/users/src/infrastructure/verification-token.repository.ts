import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { UnitOfWork } from '@herald/events';
import { mintVerificationToken, type MintedToken } from '../domain/verification-token.js';
import { EmailVerificationTokenRecord } from './email-verification-token.record.js';

@Injectable()
export class VerificationTokenRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Creates a new token for the user and revokes every older unused one, in
   * one statement (one round trip on the email worker's hot path). Both parts
   * see the same snapshot, so the new row is never revoked by its own UPDATE.
   * The caller holds the user's row lock, so two mints never see the same
   * snapshot of the user's tokens.
   */
  async mintFor(userId: string, ttlHours: number, now: Date): Promise<MintedToken> {
    const minted = mintVerificationToken();
    await this.uow.manager.query(
      `WITH revoked AS (
         UPDATE email_verification_tokens SET revoked_at = $4
         WHERE user_id = $2 AND used_at IS NULL AND revoked_at IS NULL
       )
       INSERT INTO email_verification_tokens (selector, user_id, verifier_hash, expires_at, created_at)
       VALUES ($1, $2, $3, $5, $4)`,
      [minted.selector, userId, minted.verifierHash, now, new Date(now.getTime() + ttlHours * 3600_000)],
    );
    return minted;
  }

  async findBySelector(selector: string): Promise<EmailVerificationTokenRecord | null> {
    return this.uow.manager.findOneBy(EmailVerificationTokenRecord, { selector });
  }

  /** The token row, locked until the transaction ends (single use under concurrency). */
  async findBySelectorForUpdate(selector: string): Promise<EmailVerificationTokenRecord | null> {
    return this.uow.manager
      .createQueryBuilder(EmailVerificationTokenRecord, 't')
      .setLock('pessimistic_write')
      .where('t.selector = :selector', { selector })
      .getOne();
  }

  /** Uses this token and revokes the user's other open tokens. */
  async markUsed(token: EmailVerificationTokenRecord, now: Date): Promise<void> {
    await this.uow.manager.update(EmailVerificationTokenRecord, { selector: token.selector }, { usedAt: now });
    await this.uow.manager.update(
      EmailVerificationTokenRecord,
      { userId: token.userId, usedAt: IsNull(), revokedAt: IsNull() },
      { revokedAt: now },
    );
  }
}
