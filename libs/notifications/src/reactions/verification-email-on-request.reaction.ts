import { Injectable } from '@nestjs/common';
import { Reaction } from '@herald/events';
import { VerificationEmailRequested } from '@herald/users';
import { SendVerificationEmail } from '../account-emails.js';

/** A user who asked for another verification email gets one, with a new link. */
@Injectable()
export class VerificationEmailOnRequest {
  @Reaction(VerificationEmailRequested, { name: 'verification-email-on-request', job: SendVerificationEmail, mintsCredentials: true })
  queueVerificationEmail(event: VerificationEmailRequested) {
    return { userId: event.aggregateId };
  }
}
