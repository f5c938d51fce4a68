import type { EventCatalogEntry, JobSaga } from '@herald/events';
import { JobName, type AnyJob } from '@herald/jobs';
import type { DomainEvent } from '@herald/events';
import {
  EmailVerified,
  RegistrationAttemptedForExistingEmail,
  UserRegistered,
  userEvents,
  VerificationEmailRequested,
} from '../domain/events/user-events.js';

/** Job data for the email jobs: ids only, never the address or a token. */
const emailJob = <N extends AnyJob['name']>(name: N, event: DomainEvent) =>
  ({ name, data: { eventId: event.eventId, userId: event.aggregateId, correlationId: event.correlationId } }) as AnyJob;

// Saga names are part of job ids: NEVER rename them.
export class SendVerificationEmailWhenUserRegistered implements JobSaga<UserRegistered> {
  readonly name = 'verification-email-on-registration';
  readonly reactsTo = UserRegistered;
  toJob(event: UserRegistered): AnyJob {
    return emailJob(JobName.SendVerificationEmail, event);
  }
}

export class SendVerificationEmailWhenRequested implements JobSaga<VerificationEmailRequested> {
  readonly name = 'verification-email-on-request';
  readonly reactsTo = VerificationEmailRequested;
  toJob(event: VerificationEmailRequested): AnyJob {
    return emailJob(JobName.SendVerificationEmail, event);
  }
}

export class SendWelcomeEmailWhenEmailVerified implements JobSaga<EmailVerified> {
  readonly name = 'welcome-email-on-verification';
  readonly reactsTo = EmailVerified;
  toJob(event: EmailVerified): AnyJob {
    return emailJob(JobName.SendWelcomeEmail, event);
  }
}

export class SendAccountExistsNoticeWhenEmailTaken implements JobSaga<RegistrationAttemptedForExistingEmail> {
  readonly name = 'account-exists-notice-on-registration-attempt';
  readonly reactsTo = RegistrationAttemptedForExistingEmail;
  toJob(event: RegistrationAttemptedForExistingEmail): AnyJob {
    return emailJob(JobName.SendAccountExistsNotice, event);
  }
}

/** Everything the users context contributes to the event pipeline. */
export const usersEventCatalog: EventCatalogEntry = {
  events: userEvents,
  sagas: [
    new SendVerificationEmailWhenUserRegistered(),
    new SendVerificationEmailWhenRequested(),
    new SendWelcomeEmailWhenEmailVerified(),
    new SendAccountExistsNoticeWhenEmailTaken(),
  ],
};
