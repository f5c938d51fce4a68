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
