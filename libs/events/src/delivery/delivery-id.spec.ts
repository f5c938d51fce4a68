import { deliveryJobId, parseDeliveryJobId, replayJobId } from './delivery-id.js';

const EVENT = '0190a000-0000-7000-8000-000000000001';

describe(parseDeliveryJobId.name, () => {
  it('reads the (reaction, event) pair of an original delivery', () => {
    expect(parseDeliveryJobId(deliveryJobId('welcome-email-on-verification', EVENT))).toEqual({
      consumer: 'welcome-email-on-verification',
      eventId: EVENT,
    });
  });

  it('reads the same pair, and the replay, from a replayed delivery', () => {
    expect(parseDeliveryJobId(replayJobId('welcome-email-on-verification', EVENT, 'fix-42'))).toEqual({
      consumer: 'welcome-email-on-verification',
      eventId: EVENT,
      replayId: 'fix-42',
    });
  });

  it('keeps reaction names with dots whole', () => {
    expect(parseDeliveryJobId(replayJobId('mail.welcome', EVENT, '0123abcd'))).toEqual({
      consumer: 'mail.welcome',
      eventId: EVENT,
      replayId: '0123abcd',
    });
  });

  it.each([
    '42',
    `welcome.${EVENT}.x1`,
    `welcome.${EVENT}.r`,
    `welcome.${EVENT}.ra.b`,
    `welcome.${EVENT.toUpperCase()}`,
    'test.not-a-uuid',
  ])('returns null for %j', (id) => {
    expect(parseDeliveryJobId(id)).toBeNull();
  });
});

describe(replayJobId.name, () => {
  it('is one id per (replay, reaction, event)', () => {
    expect(replayJobId('welcome', EVENT, 'a1')).toBe(`welcome.${EVENT}.ra1`);
    expect(replayJobId('welcome', EVENT, 'a1')).not.toBe(replayJobId('welcome', EVENT, 'a2'));
    expect(replayJobId('welcome', EVENT, 'a1')).not.toBe(deliveryJobId('welcome', EVENT));
  });

  it.each(['', 'a.b', 'a:b', 'x'.repeat(41)])('refuses the replay id %j', (replayId) => {
    expect(() => replayJobId('welcome', EVENT, replayId)).toThrow('is not a valid replay id');
  });
});
