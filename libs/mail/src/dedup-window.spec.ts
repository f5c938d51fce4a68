import { dedupWindowWarning, retrySpans } from './dedup-window.js';

const HOUR = 3_600_000;
const jobs = (attempts: number, backoffMs: number, failedRetentionDays: number) => ({
  jobs: { attempts, backoffMs, failedRetentionDays, enqueueTimeoutMs: 2000, completedRetentionHours: 72 },
});
const resend = { windowMs: 24 * HOUR, by: 'Resend (Idempotency-Key)' };

describe(retrySpans.name, () => {
  it("spans the job's exponential backoff, and an operator's retry of a failed job after its retention", () => {
    // 5 attempts, 2 s: waits of 2 + 4 + 8 + 16 s.
    expect(retrySpans(jobs(5, 2000, 14))).toEqual({ automaticMs: 30_000, operatorMs: 14 * 24 * HOUR + 30_000 });
  });
});

describe(dedupWindowWarning.name, () => {
  it('says nothing when every retry, automatic or by an operator, falls within the window', () => {
    expect(dedupWindowWarning(jobs(5, 2000, 0.5), resend)).toBeNull();
    expect(dedupWindowWarning(jobs(50, 2000, 14), { windowMs: Number.POSITIVE_INFINITY, by: 'files' })).toBeNull();
  });

  it('warns that an operator retrying a failed job after the window sends again (the defaults)', () => {
    expect(dedupWindowWarning(jobs(5, 2000, 14), resend)).toMatch(
      /JOB_FAILED_RETENTION_DAYS.*an operator's retry after that window.*at-least-once/,
    );
  });

  it("warns louder when the job's own retries outlast the window", () => {
    expect(dedupWindowWarning(jobs(20, 2000, 14), resend)).toMatch(
      /^the job retries of JOB_ATTEMPTS and JOB_BACKOFF_MS span 291\.3 h, beyond the 24 h/,
    );
  });

  it('has nothing to compare for a transport that does not de-duplicate', () => {
    expect(dedupWindowWarning(jobs(5, 2000, 14), null)).toBeNull();
  });
});
