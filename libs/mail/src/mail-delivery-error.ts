import { maskEmail, maskEmailsIn } from '@herald/observability';

/** What went wrong with a send, in words an operator and a metric label can use. */
export type MailFailureKind =
  | 'recipient-refused'
  | 'sender-refused'
  | 'message-refused'
  | 'connection'
  | 'timeout'
  | 'auth'
  | 'protocol'
  | 'rate-limited'
  | 'in-flight'
  | 'idempotency-conflict'
  | 'provider-error'
  | 'other';

/**
 * A mail API's refusal, as its SDK reports it (the Resend SDK returns errors
 * instead of throwing): the HTTP status (null: no answer — a network failure
 * or our own timeout), the API's error name, and how long it asked us to wait.
 * Its message is not kept: APIs quote the address they refuse.
 */
export class MailApiRefusal {
  constructor(
    readonly api: string,
    readonly status: number | null,
    readonly name: string,
    readonly retryAfterMs?: number,
    readonly timedOut = false,
  ) {}
}

/** Error names a mail API may answer with (Resend's); anything else is reported as `other`, so labels stay bounded. */
const API_ERROR_NAMES = new Set([
  'invalid_idempotency_key',
  'validation_error',
  'missing_api_key',
  'restricted_api_key',
  'invalid_api_key',
  'not_found',
  'method_not_allowed',
  'invalid_idempotent_request',
  'concurrent_idempotent_requests',
  'invalid_attachment',
  'invalid_from_address',
  'invalid_access',
  'invalid_parameter',
  'invalid_region',
  'missing_required_field',
  'monthly_quota_exceeded',
  'daily_quota_exceeded',
  'rate_limit_exceeded',
  'security_error',
  'application_error',
  'internal_server_error',
]);

/** How long a delivery waits before trying again when the provider is still sending the same key (409 in flight). */
export const IN_FLIGHT_RETRY_MS = 1000;

/** The fields of a nodemailer error herald reads; everything else (the server's reply text above all) is left behind. */
interface TransportError {
  readonly message?: string;
  readonly code?: string;
  readonly command?: string;
  readonly response?: string;
  readonly responseCode?: number;
  readonly permanent?: boolean;
}

const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EREQUIRETLS', 'EPROXY']);
/** Nodemailer's own codes look like this; anything else is reported as `other`, so a metric label stays bounded. */
const CODE = /^E[A-Z0-9]{2,20}$/;

function kindOf(error: TransportError): MailFailureKind {
  const command = error.command?.toUpperCase() ?? '';
  if (command.startsWith('RCPT')) return 'recipient-refused';
  if (command.startsWith('MAIL')) return 'sender-refused';
  if (command === 'DATA' || command === 'BDAT' || command === 'MESSAGE' || error.code === 'EMESSAGE') return 'message-refused';
  if (error.code === 'ETIMEDOUT') return 'timeout';
  if (error.code === 'EAUTH' || error.code === 'ENOAUTH' || error.code === 'EOAUTH2') return 'auth';
  if (error.code === 'EPROTOCOL') return 'protocol';
  if (error.code && CONNECTION_CODES.has(error.code)) return 'connection';
  return 'other';
}

const DESCRIPTIONS: Record<MailFailureKind, string> = {
  'recipient-refused': 'SMTP server refused the recipient',
  'sender-refused': 'SMTP server refused the sender',
  'message-refused': 'SMTP server refused the message',
  connection: 'SMTP connection failed',
  timeout: 'SMTP server did not answer in time',
  auth: 'SMTP authentication failed',
  protocol: 'SMTP server answered out of protocol',
  'rate-limited': 'mail API asked to slow down',
  'in-flight': 'mail API is still sending this message (same idempotency key)',
  'idempotency-conflict': 'mail API refused a different message under the same idempotency key',
  'provider-error': 'mail API failed',
  other: 'mail could not be sent',
};

interface Reduced {
  kind: MailFailureKind;
  code: string;
  responseCode?: number;
  enhancedStatus?: string;
  command?: string;
  permanent: boolean;
  detail: string;
  retryAfterMs?: number;
}

function reduceSmtp(error: unknown): Reduced {
  const transport = (error ?? {}) as TransportError;
  const responseCode = typeof transport.responseCode === 'number' ? transport.responseCode : undefined;
  const enhancedStatus = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(transport.response ?? '')?.[1];
  const reply = responseCode ? `${responseCode}${enhancedStatus ? ` ${enhancedStatus}` : ''}` : undefined;
  return {
    kind: kindOf(transport),
    code: typeof transport.code === 'string' && CODE.test(transport.code) ? transport.code : 'other',
    responseCode,
    enhancedStatus,
    command: transport.command && /^[A-Z ]{2,16}$/i.test(transport.command) ? transport.command.toUpperCase() : undefined,
    permanent: responseCode !== undefined ? responseCode >= 500 && responseCode <= 599 && responseCode !== 503 : false,
    // Without a reply, the client's own message says what failed (a refused connection, a timeout); it quotes no
    // reply text then, but it may quote an address (nodemailer's "Invalid recipient"), so addresses are masked.
    detail: reply ?? maskEmailsIn(transport.message ?? String(error)).slice(0, 200),
  };
}

/**
 * A mail API's answer: 409 in flight and 429 and 5xx (and no answer) are
 * transient; 409 for a different body is the loud one (a retry that did not
 * send the first attempt's message); any other 4xx would be refused again.
 */
function reduceApi(refusal: MailApiRefusal): Reduced {
  const code = API_ERROR_NAMES.has(refusal.name) ? refusal.name : 'other';
  const status = refusal.status ?? undefined;
  const base = { code, responseCode: status, command: 'POST /emails', detail: status ? `${status} ${code}` : code };
  if (status === undefined) return { ...base, kind: refusal.timedOut ? 'timeout' : 'connection', permanent: false };
  if (status === 409 && code === 'concurrent_idempotent_requests') {
    return { ...base, kind: 'in-flight', permanent: false, retryAfterMs: refusal.retryAfterMs ?? IN_FLIGHT_RETRY_MS };
  }
  if (status === 409) return { ...base, kind: 'idempotency-conflict', permanent: true };
  if (status === 429) return { ...base, kind: 'rate-limited', permanent: false, retryAfterMs: refusal.retryAfterMs };
  if (status >= 500 || status === 408) return { ...base, kind: 'provider-error', permanent: false, retryAfterMs: refusal.retryAfterMs };
  if (status === 401 || status === 403)
    return { ...base, kind: code === 'invalid_from_address' ? 'sender-refused' : 'auth', permanent: true };
  return { ...base, kind: 'message-refused', permanent: true };
}

/**
 * A failed send, reduced to what may be logged, traced and kept in Redis (a
 * job's failedReason and stack, the queue's event stream, Bull Board): the
 * kind, the SMTP reply code and enhanced status code (or the mail API's HTTP
 * status and error name), the command, the client's error code, and the
 * recipient masked (maskEmail: `a***@example.com`). The server's reply text is
 * dropped — Postfix's `550 5.1.1 <ada@example.com>: Recipient address
 * rejected` quotes the address, and so do mail APIs — and so is the client's
 * error, which quotes it too (no `cause`: loggers print causes).
 *
 * `permanent` (an SMTP 5xx reply other than 503; a mail API's 4xx other than
 * 408, 429 and 409 in flight) means that sending the same message again would
 * be refused again: the job runtime fails the job at once. `retryAfterMs`
 * (an API's Retry-After; 409 in flight) is how long the job runtime holds the
 * queue back before the job runs again.
 */
export class MailDeliveryError extends Error {
  readonly kind: MailFailureKind;
  /** nodemailer's code (EENVELOPE, ECONNECTION, ETIMEDOUT …), a mail API's error name, or `other`. */
  readonly code: string;
  /** The SMTP reply code (550) or the API's HTTP status (422), when the server replied. */
  readonly responseCode?: number;
  /** The enhanced status code of the reply (5.1.1), when it had one. */
  readonly enhancedStatus?: string;
  readonly command?: string;
  readonly permanent: boolean;
  /** How long the provider asked us to wait before trying again. */
  readonly retryAfterMs?: number;
  /** The recipient, masked. */
  readonly recipient: string;

  /** `error`: nodemailer's error, or a MailApiRefusal. */
  constructor(error: unknown, recipient: string) {
    const reduced = error instanceof MailApiRefusal ? reduceApi(error) : reduceSmtp(error);
    const masked = maskEmail(recipient);
    const description =
      error instanceof MailApiRefusal
        ? DESCRIPTIONS[reduced.kind].replace(/^(SMTP( server)?|mail API)/, `${error.api} API`)
        : DESCRIPTIONS[reduced.kind];
    super(`${description} (to ${masked}): ${reduced.detail} [${[reduced.code, reduced.command].filter(Boolean).join(' ')}]`);
    this.name = 'MailDeliveryError';
    this.kind = reduced.kind;
    this.code = reduced.code;
    this.responseCode = reduced.responseCode;
    this.enhancedStatus = reduced.enhancedStatus;
    this.command = reduced.command;
    this.permanent = reduced.permanent;
    this.retryAfterMs = reduced.retryAfterMs;
    this.recipient = masked;
  }

  /** The label of the failure metric: the reply code (SMTP or HTTP) when there was one, else the client's code. */
  get metricCode(): string {
    return this.responseCode !== undefined ? String(this.responseCode) : this.code;
  }
}
