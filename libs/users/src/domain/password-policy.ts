import { InvalidPasswordError } from './domain-errors.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** Length is what matters (NIST SP 800-63B); no composition rules. */
export function assertAcceptablePassword(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    throw new InvalidPasswordError(`The password must have at least ${PASSWORD_MIN_LENGTH} characters.`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new InvalidPasswordError(`The password must have at most ${PASSWORD_MAX_LENGTH} characters.`);
  }
}
