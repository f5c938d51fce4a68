import { InvalidEmailError } from './domain-errors.js';

// Deliberately simple: one @, a dotted domain, no spaces or angle brackets.
// Real proof of an address is the verification email.
const EMAIL_SHAPE =
  /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** A normalised email address: trimmed, lower-cased, at most 254 characters. */
export class EmailAddress {
  private constructor(readonly value: string) {}

  static parse(input: string): EmailAddress {
    const value = input.trim().toLowerCase();
    const local = value.split('@')[0] ?? '';
    if (value.length > 254 || local.length > 64 || !EMAIL_SHAPE.test(value)) throw new InvalidEmailError();
    return new EmailAddress(value);
  }

  toString(): string {
    return this.value;
  }
}
