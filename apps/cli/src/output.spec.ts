import { formatAge, formatTable } from './output.js';

describe(formatAge.name, () => {
  it.each([
    [null, '-'],
    [999, '0s'],
    [65_000, '1m 5s'],
    [3_600_000, '1h'],
    [(26 * 60 + 5) * 60_000, '1d 2h'],
  ])('formats %p as %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe(formatTable.name, () => {
  it('aligns columns, right-aligns numbers and shows empty cells as "-"', () => {
    expect(
      formatTable([
        { queue: 'email', waiting: 3, note: null },
        { queue: 'sms', waiting: 120, note: 'paused' },
      ]),
    ).toBe(['queue  waiting  note', '-----  -------  ------', 'email        3  -', 'sms        120  paused'].join('\n'));
  });
});
