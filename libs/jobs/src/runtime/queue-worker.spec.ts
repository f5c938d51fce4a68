import { stalledCheckInterval } from './queue-worker.js';

describe(stalledCheckInterval.name, () => {
  it('checks for the jobs of dead workers every quarter lock, so they run again within ~1.25 lock durations', () => {
    expect(stalledCheckInterval(30_000)).toBe(7_500);
    expect(stalledCheckInterval(3_000)).toBe(750);
  });

  it('never checks more often than every 250 ms', () => {
    expect(stalledCheckInterval(400)).toBe(250);
  });
});
