import { Injectable } from '@nestjs/common';
import { Reaction } from '@herald/events';
import { UserRegistered } from '@herald/users';
import { SendVerificationEmail } from '../account-emails.js';

/** A new account gets a verification email with a link. */
@Injectable()
export class VerificationEmailOnRegistration {
  @Reaction(UserRegistered, { name: 'verification-email-on-registration', job: SendVerificationEmail, mintsCredentials: true })
  queueVerificationEmail(event: UserRegistered) {
    return { userId: event.aggregateId };
  }
}
