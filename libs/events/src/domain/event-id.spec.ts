import { EVENT_ID_PATTERN, parseEventId } from './event-id.js';
import { DomainEvent } from './domain-event.js';

class SomethingHappened extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'test.SomethingHappened';
  static readonly schemaVersion = 1;
}

describe(parseEventId.name, () => {
  it('accepts the id of a recorded event', () => {
    const { eventId } = SomethingHappened.create('01938a8e-7c00-7000-8000-000000000001', {});
    expect(eventId).toMatch(new RegExp(`^${EVENT_ID_PATTERN}$`));
    expect(parseEventId(eventId)).toBe(eventId);
  });

  it('gives an id typed in upper case in the stored, lower-case form', () => {
    expect(parseEventId('01938A8E-7C00-7000-8000-0000000000AB')).toBe('01938a8e-7c00-7000-8000-0000000000ab');
  });

  it.each([
    '',
    'not-a-uuid',
    '01938a8e-7c00-7000-8000-00000000000',
    '01938a8e7c0070008000000000000001',
    ' 01938a8e-7c00-7000-8000-000000000001',
  ])('refuses %p', (text) => {
    expect(parseEventId(text)).toBeNull();
  });
});
