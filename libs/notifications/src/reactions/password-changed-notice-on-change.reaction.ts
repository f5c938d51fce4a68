import { Injectable } from '@nestjs/common';
import { Reaction } from '@herald/events';
import { PasswordChanged } from '@herald/users';
import { SendPasswordChangedNotice } from '../account-emails.js';

/** A changed password is notified to the account's address. */
@Injectable()
export class PasswordChangedNoticeOnChange {
  @Reaction(PasswordChanged, { name: 'password-changed-notice-on-change', job: SendPasswordChangedNotice })
  queuePasswordChangedNotice(event: PasswordChanged) {
    return { userId: event.aggregateId };
  }
}
