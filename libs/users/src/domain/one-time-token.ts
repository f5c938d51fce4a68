import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time tokens (email verification, password reset) use the selector/verifier pattern:
 *   token = <selector>.<verifier>
 * The selector (96 random bits) finds the row; the verifier (256 random bits)
 * is stored only as a SHA-256 hash and compared in constant time. The raw
 * token exists only in the email.
 */
const SELECTOR_BYTES = 12;
const VERIFIER_BYTES = 32;
const TOKEN_SHAPE = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  readonly token: string;
  readonly selector: string;
  readonly verifierHash: string;
}

export function mintOneTimeToken(): MintedToken {
  const selector = randomBytes(SELECTOR_BYTES).toString('base64url');
  const verifier = randomBytes(VERIFIER_BYTES).toString('base64url');
  return { token: `${selector}.${verifier}`, selector, verifierHash: hashVerifier(verifier) };
}

export function hashVerifier(verifier: string): string {
  return createHash('sha256').update(verifier, 'utf8').digest('hex');
}

/** Splits a token from a link; null when it cannot be one of ours. */
export function parseOneTimeToken(token: string): { selector: string; verifier: string } | null {
  const match = TOKEN_SHAPE.exec(token);
  return match ? { selector: match[1]!, verifier: match[2]! } : null;
}

/** Constant-time check of a presented verifier against the stored hash. */
export function verifierMatches(verifier: string, storedHash: string): boolean {
  const presented = Buffer.from(hashVerifier(verifier), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export interface StoredTokenState {
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A token can be used once, before it expires, unless a newer one replaced it. */
export function isTokenUsable(token: StoredTokenState, now: Date): boolean {
  return token.usedAt === null && token.revokedAt === null && token.expiresAt.getTime() > now.getTime();
}
