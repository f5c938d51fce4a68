import { v7 as uuidv7 } from 'uuid';
import { EventCatalog, type DomainEvent, type DomainEventClass, type JobSaga } from '@herald/events';
import { JobName, parseJob } from '@herald/jobs';
import {
  EmailVerified,
  RegistrationAttemptedForExistingEmail,
  UserRegistered,
  userEvents,
  VerificationEmailRequested,
} from '../domain/events/user-events.js';
import {
  SendAccountExistsNoticeWhenEmailTaken,
  SendVerificationEmailWhenRequested,
  SendVerificationEmailWhenUserRegistered,
  SendWelcomeEmailWhenEmailVerified,
  usersEventCatalog,
} from './user-job-sagas.js';

const USER_ID = uuidv7();
const EMAIL = 'ada@example.com';

function eventOf<E extends DomainEvent>(eventClass: DomainEventClass<E>, payload: object): E {
  return new eventClass(payload, {
    eventId: uuidv7(),
    occurredAt: new Date('2025-01-01T00:00:00Z'),
    aggregateId: USER_ID,
    correlationId: 'req-42',
    causationId: null,
  });
}

const sagaCase = (saga: JobSaga<any>, event: DomainEvent, jobName: string) => ({ sagaName: saga.constructor.name, saga, event, jobName });

const cases = [
  sagaCase(
    new SendVerificationEmailWhenUserRegistered(),
    eventOf(UserRegistered, { email: EMAIL, displayName: 'Ada' }),
    JobName.SendVerificationEmail,
  ),
  sagaCase(new SendVerificationEmailWhenRequested(), eventOf(VerificationEmailRequested, {}), JobName.SendVerificationEmail),
  sagaCase(new SendWelcomeEmailWhenEmailVerified(), eventOf(EmailVerified, { email: EMAIL }), JobName.SendWelcomeEmail),
  sagaCase(
    new SendAccountExistsNoticeWhenEmailTaken(),
    eventOf(RegistrationAttemptedForExistingEmail, {}),
    JobName.SendAccountExistsNotice,
  ),
];

describe.each(cases)('$sagaName', ({ saga, event, jobName }) => {
  describe('toJob', () => {
    it(`reacts to ${event.eventType}`, () => {
      expect(saga.reactsTo).toBe(event.constructor);
    });

    it(`makes a ${jobName} job with the event id, user id and correlation id only`, () => {
      expect(saga.toJob(event)).toEqual({
        name: jobName,
        data: { eventId: event.eventId, userId: event.aggregateId, correlationId: 'req-42' },
      });
    });

    it('puts neither the email address nor any token in the job data', () => {
      const { data } = saga.toJob(event);

      expect(Object.keys(data).sort()).toEqual(['correlationId', 'eventId', 'userId']);
      expect(JSON.stringify(data)).not.toContain(EMAIL);
    });

    it('makes data that passes parseJob', () => {
      const job = saga.toJob(event);

      expect(parseJob(job.name, job.data)).toEqual(job);
    });
  });

  describe('name', () => {
    it('contains no ":"', () => {
      expect(saga.name).not.toContain(':');
      expect(saga.name.length).toBeGreaterThan(0);
    });
  });
});

describe('usersEventCatalog', () => {
  it('registers every user event', () => {
    expect(usersEventCatalog.events).toEqual(userEvents);
  });

  it.each(userEvents.map((eventClass) => [eventClass.eventType, eventClass] as const))(
    'has exactly one saga for %s',
    (_type, eventClass) => {
      expect(usersEventCatalog.sagas.filter((saga) => saga.reactsTo === eventClass)).toHaveLength(1);
    },
  );

  it('has unique saga names', () => {
    const names = usersEventCatalog.sagas.map((saga) => saga.name);

    expect(new Set(names).size).toBe(names.length);
  });

  it('is accepted by an EventCatalog', () => {
    expect(() => new EventCatalog([usersEventCatalog])).not.toThrow();
  });
});
