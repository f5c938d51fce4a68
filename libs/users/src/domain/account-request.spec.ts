import { AccountRequest } from './account-request.js';
import { EmailAddress } from './email-address.js';
import { AccountRequestReceived } from './events/user-events.js';

const REQUEST_ID = '0190f0a0-0000-7000-8000-00000000a001';
const NOW = new Date('2025-01-01T00:00:00Z');
const email = EmailAddress.parse(' Ada@Example.com ');

describe(AccountRequest.name, () => {
  it.each([
    ['registration', () => AccountRequest.registration({ id: REQUEST_ID, email, passwordHash: 'hash', displayName: 'Ada', now: NOW })],
    ['verification-email', () => AccountRequest.verificationEmail({ id: REQUEST_ID, email, now: NOW })],
    ['password-reset', () => AccountRequest.passwordReset({ id: REQUEST_ID, email, now: NOW })],
  ])('a %s request raises one AccountRequestReceived of its kind, with no address in the event', (kind, receive) => {
    const request = receive();

    const events = request.getUncommittedEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toBeInstanceOf(AccountRequestReceived);
    expect(events[0]!.aggregateId).toBe(REQUEST_ID);
    expect(events[0]!.payload).toEqual({ kind });
    expect(request.state).toMatchObject({ id: REQUEST_ID, kind, email: 'ada@example.com', createdAt: NOW });
  });

  it('keeps the password hash and display name of a registration only', () => {
    expect(AccountRequest.registration({ id: REQUEST_ID, email, passwordHash: 'hash', displayName: 'Ada', now: NOW }).state).toMatchObject({
      passwordHash: 'hash',
      displayName: 'Ada',
    });
    expect(AccountRequest.passwordReset({ id: REQUEST_ID, email, now: NOW }).state).toMatchObject({
      passwordHash: null,
      displayName: null,
    });
  });
});
