import { Injectable } from '@nestjs/common';
import { Reaction } from '@herald/events';
import { RegistrationAttemptedForExistingEmail } from '@herald/users';
import { SendAccountExistsNotice } from '../account-emails.js';

/** A registration with an address that has an account tells its owner, not the caller (no enumeration). */
@Injectable()
export class AccountExistsNoticeOnRegistrationAttempt {
  @Reaction(RegistrationAttemptedForExistingEmail, { name: 'account-exists-notice-on-registration-attempt', job: SendAccountExistsNotice })
  queueAccountExistsNotice(event: RegistrationAttemptedForExistingEmail) {
    return { userId: event.aggregateId };
  }
}
