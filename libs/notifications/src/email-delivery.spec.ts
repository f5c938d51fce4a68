import { deliveryNameOf, idempotencyKeyOf } from './email-delivery.js';

const EVENT = '0190b8a0-1234-7000-8000-00000000abcd';

describe(idempotencyKeyOf.name, () => {
  it('is the delivery: reaction and event, plus the replay an operator asked for', () => {
    expect(idempotencyKeyOf({ consumer: 'verification-email-on-registration', eventId: EVENT })).toBe(
      `herald.verification-email-on-registration.${EVENT}`,
    );
    expect(idempotencyKeyOf({ consumer: 'welcome-email-on-verification', eventId: EVENT, replayId: 'incident-42' })).toBe(
      `herald.welcome-email-on-verification.${EVENT}.rincident-42`,
    );
    expect(deliveryNameOf({ consumer: 'x', eventId: EVENT, replayId: 'r1' })).toBe(`x.${EVENT}.rr1`);
  });

  it("stays within the providers' 1–256 characters for the longest reaction name and replay id", () => {
    const longest = idempotencyKeyOf({ consumer: 'c'.repeat(100), eventId: EVENT, replayId: 'r'.repeat(40) });
    expect(longest.length).toBeLessThanOrEqual(256);
    const hashed = idempotencyKeyOf({ consumer: 'c'.repeat(300), eventId: EVENT });
    expect(hashed).toMatch(/^herald\.sha256\.[0-9a-f]{64}$/);
  });
});
