import { InvalidPasswordError } from './domain-errors.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** Why a password is not acceptable, or null. Length in code points is what matters (NIST SP 800-63B). */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `The password must have at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `The password must have at most ${PASSWORD_MAX_LENGTH} characters.`;
  return null;
}

export function assertAcceptablePassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new InvalidPasswordError(problem);
}
