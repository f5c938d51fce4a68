import { InvalidArgumentError } from 'commander';
import { parseDuration, parseJobId, parseLimit, parseOutboxId, parseQueueName, parseReplayId, parseTime } from './arguments.js';

describe(parseDuration.name, () => {
  it.each([
    ['45s', 45_000],
    ['30m', 30 * 60_000],
    ['12h', 12 * 3_600_000],
    ['7d', 7 * 86_400_000],
    ['2w', 14 * 86_400_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['7', '0d', '-1h', '1.5h', '1h30m', 'd', '7 days', '', '99999d'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
  });
});

describe(parseQueueName.name, () => {
  it('accepts a queue of the contract and names the valid ones otherwise', () => {
    expect(parseQueueName('email')).toBe('email');
    expect(parseQueueName('accounts')).toBe('accounts');
    expect(parseQueueName('maintenance')).toBe('maintenance');
    expect(() => parseQueueName('Email')).toThrow('unknown queue "Email"; valid queues: accounts, email, maintenance');
  });
});

describe(parseLimit.name, () => {
  it('accepts 1 to 10000 only', () => {
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('10000')).toBe(10_000);
    for (const bad of ['0', '10001', '1e3', '2.5', 'ten', '']) expect(() => parseLimit(bad)).toThrow(InvalidArgumentError);
  });
});

describe(parseJobId.name, () => {
  it('accepts derived and numeric ids, refuses ones that would address another key', () => {
    expect(parseJobId('send-welcome.0190a000-0000-7000-8000-000000000000')).toBe('send-welcome.0190a000-0000-7000-8000-000000000000');
    expect(parseJobId('42')).toBe('42');
    for (const bad of ['a:b', '', 'a b', 'x'.repeat(257)]) expect(() => parseJobId(bad)).toThrow(InvalidArgumentError);
  });
});

describe(parseOutboxId.name, () => {
  it('collects repeated ids in lower case', () => {
    const first = parseOutboxId('0190A000-0000-7000-8000-000000000001');
    expect(parseOutboxId('0190a000-0000-7000-8000-000000000002', first)).toEqual([
      '0190a000-0000-7000-8000-000000000001',
      '0190a000-0000-7000-8000-000000000002',
    ]);
    expect(() => parseOutboxId('42')).toThrow(InvalidArgumentError);
  });
});

describe(parseTime.name, () => {
  it.each([
    ['2026-05-01', '2026-05-01T00:00:00.000Z'],
    ['2026-05-01T12:00Z', '2026-05-01T12:00:00.000Z'],
    ['2026-05-01T12:00:30.250Z', '2026-05-01T12:00:30.250Z'],
    ['2026-05-01T14:00+02:00', '2026-05-01T12:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseTime(text).toISOString()).toBe(iso);
  });

  it.each(['2026-05-01T12:00', '2026-02-30', '2025-02-29', '2026-13-01', '2026-05-01T25:00Z', '2h', 'yesterday', '1714564800', ''])(
    'refuses %j',
    (text) => {
      expect(() => parseTime(text)).toThrow(InvalidArgumentError);
    },
  );
});

describe(parseReplayId.name, () => {
  it('accepts letters, digits, "-" and "_" up to 40', () => {
    expect(parseReplayId('fix-42_b')).toBe('fix-42_b');
    for (const bad of ['', 'a.b', 'a:b', 'a b', 'x'.repeat(41)]) expect(() => parseReplayId(bad)).toThrow(InvalidArgumentError);
  });
});
