import { Injectable } from '@nestjs/common';
import { Reaction } from '@herald/events';
import { EmailVerified } from '@herald/users';
import { SendWelcomeEmail } from '../account-emails.js';

/** A verified address gets a welcome email. */
@Injectable()
export class WelcomeEmailOnVerification {
  @Reaction(EmailVerified, { name: 'welcome-email-on-verification', job: SendWelcomeEmail })
  queueWelcomeEmail(event: EmailVerified) {
    return { userId: event.aggregateId };
  }
}
