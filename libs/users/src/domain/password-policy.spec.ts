import { InvalidPasswordError } from './domain-errors.js';
import { assertAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy.js';

describe(assertAcceptablePassword.name, () => {
  it('has the limits 12 and 128', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
  });

  it('accepts exactly 12 characters', () => {
    expect(() => assertAcceptablePassword('a'.repeat(12))).not.toThrow();
  });

  it('rejects 11 characters with code INVALID_PASSWORD', () => {
    expect(() => assertAcceptablePassword('a'.repeat(11))).toThrow(InvalidPasswordError);
    expect(() => assertAcceptablePassword('a'.repeat(11))).toThrow(expect.objectContaining({ code: 'INVALID_PASSWORD' }));
  });

  it('rejects an empty password', () => {
    expect(() => assertAcceptablePassword('')).toThrow(/at least 12/);
  });

  it('accepts exactly 128 characters', () => {
    expect(() => assertAcceptablePassword('a'.repeat(128))).not.toThrow();
  });

  it('rejects 129 characters', () => {
    expect(() => assertAcceptablePassword('a'.repeat(129))).toThrow(/at most 128/);
  });

  it('counts unicode code points, not UTF-16 units: 12 emoji are long enough', () => {
    // Each emoji is 2 UTF-16 units; 6 emoji would be 12 units but only 6 characters.
    expect(() => assertAcceptablePassword('🔑'.repeat(12))).not.toThrow();
    expect(() => assertAcceptablePassword('🔑'.repeat(6))).toThrow(InvalidPasswordError);
  });

  it('counts unicode code points at the maximum: 128 emoji pass, 129 do not', () => {
    expect(() => assertAcceptablePassword('🔑'.repeat(128))).not.toThrow();
    expect(() => assertAcceptablePassword('🔑'.repeat(129))).toThrow(/at most 128/);
  });

  it('does not trim: spaces count', () => {
    expect(() => assertAcceptablePassword(' '.repeat(12))).not.toThrow();
  });
});
