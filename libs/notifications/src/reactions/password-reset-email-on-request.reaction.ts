import { Injectable } from '@nestjs/common';
import { Reaction } from '@herald/events';
import { PasswordResetRequested } from '@herald/users';
import { SendPasswordResetEmail } from '../account-emails.js';

/** A password reset request gets an email with a reset link. */
@Injectable()
export class PasswordResetEmailOnRequest {
  @Reaction(PasswordResetRequested, { name: 'password-reset-email-on-request', job: SendPasswordResetEmail, mintsCredentials: true })
  queuePasswordResetEmail(event: PasswordResetRequested) {
    return { userId: event.aggregateId };
  }
}
