import { retryAfterMs } from './resend-transport.js';

describe(retryAfterMs.name, () => {
  it('reads seconds and HTTP dates, and nothing from an absent or unreadable header', () => {
    const now = Date.parse('2026-12-06T20:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Sun, 06 Dec 2026 20:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Sun, 06 Dec 2026 19:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
