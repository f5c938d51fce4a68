import { Injectable } from '@nestjs/common';
import { IsNull, type EntityTarget } from 'typeorm';
import { UnitOfWork } from '@herald/events';
import { isTokenUsable, mintOneTimeToken, parseOneTimeToken, verifierMatches, type MintedToken } from '../domain/one-time-token.js';
import { EmailVerificationTokenRecord } from './email-verification-token.record.js';
import { PasswordResetTokenRecord } from './password-reset-token.record.js';

type TokenRecord = EmailVerificationTokenRecord | PasswordResetTokenRecord;

/** A stored token as mintFor reads it back. */
interface StoredTokenRow {
  user_id: string;
  verifier_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * One table of one-time tokens (selector, verifier hash, expiry, used/revoked).
 * Every change of a user's tokens happens under that user's row lock, taken by
 * the caller: minting, using, revoking never race.
 *
 * Redeeming a token that came in a link is the same for every kind (email
 * verification, password reset) and happens here only, in two steps around the
 * caller's lock of the user: findRedeemable, then redeem. The rules themselves
 * (shape, hashing, constant-time comparison, expiry, single use) are the
 * domain's (one-time-token.ts).
 */
abstract class OneTimeTokenRepository<R extends TokenRecord> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly table: string,
    private readonly entity: EntityTarget<R>,
  ) {}

  /**
   * Creates a new token for the user and revokes every older unused one, in
   * one statement. Both parts see the same snapshot, so the new row is never
   * revoked by its own UPDATE.
   *
   * `minted` defaults to a random token. A derived one (deriveOneTimeToken)
   * may be stored already — an earlier attempt of the same email delivery
   * minted it: it is handed out again while it is usable (the retry sends
   * the first attempt's link, and nothing is revoked), and null once it is not
   * (used, replaced, expired: that link has done its work, nothing to send,
   * and it stays used).
   *
   * The same statement looks the selector up: it writes only when the token
   * is not stored yet, and returns the stored row when it is. The caller holds
   * the user's row lock, so no other change of this user's tokens can come
   * between the lookup and the write (each statement reads what was committed
   * before it began, after the lock was granted).
   */
  async mintFor(userId: string, ttlMs: number, now: Date, minted: MintedToken = mintOneTimeToken()): Promise<MintedToken | null> {
    const [stored] = (await this.uow.manager.query(
      `WITH stored AS (
         SELECT user_id, verifier_hash, expires_at, used_at, revoked_at FROM ${this.table} WHERE selector = $1
       ), revoked AS (
         UPDATE ${this.table} SET revoked_at = $4
         WHERE user_id = $2 AND used_at IS NULL AND revoked_at IS NULL AND NOT EXISTS (SELECT FROM stored)
       ), inserted AS (
         INSERT INTO ${this.table} (selector, user_id, verifier_hash, expires_at, created_at)
         SELECT $1, $2::uuid, $3, $5::timestamptz, $4::timestamptz WHERE NOT EXISTS (SELECT FROM stored)
       )
       SELECT user_id, verifier_hash, expires_at, used_at, revoked_at FROM stored`,
      [minted.selector, userId, minted.verifierHash, now, new Date(now.getTime() + ttlMs)],
    )) as StoredTokenRow[];
    if (!stored) return minted;
    const usable = isTokenUsable({ expiresAt: stored.expires_at, usedAt: stored.used_at, revokedAt: stored.revoked_at }, now);
    return stored.user_id === userId && stored.verifier_hash === minted.verifierHash && usable ? minted : null;
  }

  /**
   * The stored token a presented one names, if it could be redeemed now: of
   * our shape, its verifier matching the stored hash (constant time), unused,
   * not replaced, not expired. Read without a lock, so it says whose token it
   * is (the caller locks that user next) and lets a caller refuse before slow
   * work (hashing a new password); `redeem` decides under the locks.
   */
  async findRedeemable(presented: string, now: Date): Promise<R | null> {
    const parts = parseOneTimeToken(presented);
    if (!parts) return null;
    const found = await this.uow.manager.findOneBy(this.entity, { selector: parts.selector } as never);
    return found && verifierMatches(parts.verifier, found.verifierHash) && isTokenUsable(found, now) ? found : null;
  }

  /**
   * Uses a token found by findRedeemable, once: inside the caller's
   * transaction, after the caller locked the token's user (the order the
   * email worker takes locks when it mints: user, then tokens, so the two
   * never deadlock). The token's row is locked and read again; if it is still
   * usable it is marked used and the user's other open tokens are revoked.
   * False when it was used, replaced or expired in the meantime.
   */
  async redeem(token: R, now: Date): Promise<boolean> {
    const locked = await this.uow.manager
      .createQueryBuilder(this.entity, 't')
      .setLock('pessimistic_write')
      .where('t.selector = :selector', { selector: token.selector })
      .getOne();
    if (!locked || !isTokenUsable(locked, now)) return false;
    await this.uow.manager.update(this.entity, { selector: locked.selector } as never, { usedAt: now } as never);
    await this.revokeOpen(locked.userId, now);
    return true;
  }

  /** Revokes every open token of the user (a password change makes open reset links useless). */
  async revokeOpen(userId: string, now: Date): Promise<void> {
    await this.uow.manager.update(this.entity, { userId, usedAt: IsNull(), revokedAt: IsNull() } as never, { revokedAt: now } as never);
  }
}

@Injectable()
export class VerificationTokenRepository extends OneTimeTokenRepository<EmailVerificationTokenRecord> {
  constructor(uow: UnitOfWork) {
    super(uow, 'email_verification_tokens', EmailVerificationTokenRecord);
  }
}

@Injectable()
export class PasswordResetTokenRepository extends OneTimeTokenRepository<PasswordResetTokenRecord> {
  constructor(uow: UnitOfWork) {
    super(uow, 'password_reset_tokens', PasswordResetTokenRecord);
  }
}
