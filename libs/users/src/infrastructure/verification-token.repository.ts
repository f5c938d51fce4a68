import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { UnitOfWork } from '@herald/events';
import { mintVerificationToken, type MintedToken } from '../domain/verification-token.js';
import { EmailVerificationTokenRecord } from './email-verification-token.record.js';

@Injectable()
export class VerificationTokenRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Creates a new token for the user and revokes every older unused one. */
  async mintFor(userId: string, ttlHours: number, now: Date): Promise<MintedToken> {
    const minted = mintVerificationToken();
    await this.uow.manager.update(EmailVerificationTokenRecord, { userId, usedAt: IsNull(), revokedAt: IsNull() }, { revokedAt: now });
    await this.uow.manager.insert(EmailVerificationTokenRecord, {
      selector: minted.selector,
      userId,
      verifierHash: minted.verifierHash,
      expiresAt: new Date(now.getTime() + ttlHours * 3600_000),
      usedAt: null,
      revokedAt: null,
    });
    return minted;
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
