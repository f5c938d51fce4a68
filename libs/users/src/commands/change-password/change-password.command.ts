import { assertAcceptablePassword } from '../../domain/password-policy.js';

/** Validated at construction: a new password the policy refuses is a 400 before anything is read. */
export class ChangePasswordCommand {
  constructor(
    readonly userId: string,
    readonly currentPassword: string,
    readonly newPassword: string,
  ) {
    assertAcceptablePassword(newPassword);
  }
}
