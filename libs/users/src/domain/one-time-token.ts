import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

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

/**
 * The key one-time tokens are derived with (deriveOneTimeToken): HKDF of the
 * server secret, so the token key is not the JWT signing key itself.
 */
export function oneTimeTokenKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'herald', 'one-time tokens v1', 32));
}

/**
 * A token derived from a name (a delivery's: `<reaction>.<eventId>[.r<replayId>]`)
 * with HMAC-SHA-256 under the server's token key: the same name gives the same
 * token, so an email delivery that is retried after a crash renders the first
 * attempt's link, byte for byte, and that link keeps working. Both parts are
 * HMAC outputs (96 and 256 bits), unpredictable without the key — the same
 * trust the key's source (JWT_SECRET) already carries, as it signs access
 * tokens. As with random tokens only the verifier's hash is stored.
 */
export function deriveOneTimeToken(key: Buffer, name: string): MintedToken {
  const part = (label: string, bytes: number) =>
    createHmac('sha256', key).update(`${label}\0${name}`, 'utf8').digest().subarray(0, bytes).toString('base64url');
  const selector = part('selector', SELECTOR_BYTES);
  const verifier = part('verifier', VERIFIER_BYTES);
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
