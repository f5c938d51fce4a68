import { assertAcceptablePassword } from '../../domain/password-policy.js';

/** Validated at construction: a password the policy refuses is a 400 before anything is read. */
export class ConfirmPasswordResetCommand {
  constructor(
    readonly token: string,
    readonly newPassword: string,
  ) {
    assertAcceptablePassword(newPassword);
  }
}
