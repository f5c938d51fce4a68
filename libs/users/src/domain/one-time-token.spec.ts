import { createHash } from 'node:crypto';
import {
  hashVerifier,
  isTokenUsable,
  deriveOneTimeToken,
  mintOneTimeToken,
  oneTimeTokenKey,
  parseOneTimeToken,
  verifierMatches,
  type StoredTokenState,
} from './one-time-token.js';

const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const changeLastChar = (value: string) => value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');

describe(mintOneTimeToken.name, () => {
  it('gives a token of the shape selector.verifier', () => {
    const { token, selector } = mintOneTimeToken();

    expect(token).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(`${selector}.`)).toBe(true);
  });

  it('puts 256 random bits (at least 128) in the verifier', () => {
    const verifier = mintOneTimeToken().token.split('.')[1]!;
    const bits = Buffer.from(verifier, 'base64url').length * 8;

    expect(bits).toBeGreaterThanOrEqual(128);
    expect(bits).toBe(256);
  });

  it('gives a different token, selector and hash on every mint', () => {
    const first = mintOneTimeToken();
    const second = mintOneTimeToken();

    expect(second.token).not.toBe(first.token);
    expect(second.selector).not.toBe(first.selector);
    expect(second.verifierHash).not.toBe(first.verifierHash);
  });

  it('stores the SHA-256 hex of the verifier, never the raw token or verifier', () => {
    const { token, verifierHash } = mintOneTimeToken();
    const verifier = token.split('.')[1]!;

    expect(verifierHash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifierHash).toBe(sha256Hex(verifier));
    expect(verifierHash).not.toBe(token);
    expect(verifierHash).not.toContain(verifier);
  });
});

describe(parseOneTimeToken.name, () => {
  it('splits a minted token into its selector and verifier', () => {
    const { token, selector } = mintOneTimeToken();

    expect(parseOneTimeToken(token)).toEqual({ selector, verifier: token.split('.')[1] });
  });

  it.each([
    ['an empty string', ''],
    ['no dot', 'a'.repeat(60)],
    ['a short selector', `${'a'.repeat(15)}.${'b'.repeat(43)}`],
    ['a long selector', `${'a'.repeat(17)}.${'b'.repeat(43)}`],
    ['a short verifier', `${'a'.repeat(16)}.${'b'.repeat(42)}`],
    ['a long verifier', `${'a'.repeat(16)}.${'b'.repeat(44)}`],
    ['two dots', `${'a'.repeat(16)}.${'b'.repeat(21)}.${'c'.repeat(21)}`],
    ['standard base64 characters', `${'a'.repeat(15)}+.${'b'.repeat(42)}/`],
    ['padding', `${'a'.repeat(16)}.${'b'.repeat(42)}=`],
    ['surrounding whitespace', ` ${'a'.repeat(16)}.${'b'.repeat(43)}`],
    ['a trailing newline', `${'a'.repeat(16)}.${'b'.repeat(43)}\n`],
  ])('rejects %s', (_label, token) => {
    expect(parseOneTimeToken(token)).toBeNull();
  });
});

describe(verifierMatches.name, () => {
  const verifier = mintOneTimeToken().token.split('.')[1]!;
  const storedHash = hashVerifier(verifier);

  it('is true for the right verifier', () => {
    expect(verifierMatches(verifier, storedHash)).toBe(true);
  });

  it('is false when one character of the verifier changed', () => {
    expect(verifierMatches(changeLastChar(verifier), storedHash)).toBe(false);
  });

  it('is false for a stored hash of a different length', () => {
    expect(verifierMatches(verifier, storedHash.slice(0, 62))).toBe(false);
    expect(verifierMatches(verifier, `${storedHash}00`)).toBe(false);
  });

  it('is false for an empty stored hash', () => {
    expect(verifierMatches(verifier, '')).toBe(false);
  });
});

describe(isTokenUsable.name, () => {
  const now = new Date('2025-01-01T12:00:00Z');
  const fresh: StoredTokenState = { expiresAt: new Date(now.getTime() + 60_000), usedAt: null, revokedAt: null };

  it('is true for an unused, unrevoked token before its expiry', () => {
    expect(isTokenUsable(fresh, now)).toBe(true);
  });

  it('is false for a token that was already used', () => {
    expect(isTokenUsable({ ...fresh, usedAt: now }, now)).toBe(false);
  });

  it('is false for a revoked token', () => {
    expect(isTokenUsable({ ...fresh, revokedAt: now }, now)).toBe(false);
  });

  it('is false for an expired token', () => {
    expect(isTokenUsable({ ...fresh, expiresAt: new Date(now.getTime() - 1) }, now)).toBe(false);
  });

  it('is false exactly at the expiry instant', () => {
    expect(isTokenUsable({ ...fresh, expiresAt: new Date(now.getTime()) }, now)).toBe(false);
  });

  it('is true one millisecond before expiry', () => {
    expect(isTokenUsable({ ...fresh, expiresAt: new Date(now.getTime() + 1) }, now)).toBe(true);
  });
});

describe(deriveOneTimeToken.name, () => {
  const key = oneTimeTokenKey('s'.repeat(32));

  it('gives the same token for the same name, of the shape and strength of a random one', () => {
    const first = deriveOneTimeToken(key, 'verification\0verification-email-on-registration.0190b8a0-0000-7000-8000-000000000001');
    const again = deriveOneTimeToken(key, 'verification\0verification-email-on-registration.0190b8a0-0000-7000-8000-000000000001');
    expect(again).toEqual(first);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(parseOneTimeToken(first.token)).not.toBeNull();
    expect(verifierMatches(first.token.split('.')[1]!, first.verifierHash)).toBe(true);
  });

  it('gives another token for another name or another key', () => {
    const token = deriveOneTimeToken(key, 'a').token;
    expect(deriveOneTimeToken(key, 'b').token).not.toBe(token);
    expect(deriveOneTimeToken(oneTimeTokenKey('t'.repeat(32)), 'a').token).not.toBe(token);
  });

  it('keys with a derivation of the server secret, not the secret itself', () => {
    expect(oneTimeTokenKey('s'.repeat(32)).equals(Buffer.from('s'.repeat(32)))).toBe(false);
    expect(oneTimeTokenKey('s'.repeat(32))).toHaveLength(32);
  });
});
