/**
 * An error that says the same work would fail the same way however often it
 * is tried: an SMTP server's permanent refusal (5xx), say. The job runtime
 * fails such a job at once instead of retrying it with backoff.
 */
export interface PermanentFailure extends Error {
  readonly permanent: true;
}

/**
 * Whether an error is a permanent failure: it carries `permanent: true`
 * (herald's MailDeliveryError does for 5xx replies, as nodemailer's own errors do).
 * Decided on that flag, never on the message.
 */
export function isPermanentFailure(error: unknown): error is PermanentFailure {
  return error instanceof Error && (error as { permanent?: unknown }).permanent === true;
}

/**
 * What a failure says about when to try again: a provider's Retry-After (or
 * its own pause for a message still in flight), and whether the wait is the
 * provider throttling us (a 429, a 409 in flight: the job waits without using
 * an attempt) rather than a failure of this attempt (a 503 with Retry-After:
 * the job's backoff applies too). Decided on these fields, never the message.
 */
export function retryAfterOf(error: unknown): { waitMs: number; throttled: boolean } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { retryAfterMs, kind } = error as { retryAfterMs?: unknown; kind?: unknown };
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) return undefined;
  return { waitMs: retryAfterMs, throttled: kind === 'rate-limited' || kind === 'in-flight' };
}
