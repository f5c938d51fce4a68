import { maskEmail, maskEmailsIn } from '@herald/observability';

/** What went wrong with a send, in words an operator and a metric label can use. */
export type MailFailureKind =
  'recipient-refused' | 'sender-refused' | 'message-refused' | 'connection' | 'timeout' | 'auth' | 'protocol' | 'other';

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
  other: 'mail could not be sent',
};

/**
 * A failed send, reduced to what may be logged, traced and kept in Redis (a
 * job's failedReason and stack, the queue's event stream, Bull Board): the
 * kind, the SMTP reply code and enhanced status code, the command, nodemailer's
 * error code, and the recipient masked (maskEmail: `a***@example.com`). The
 * server's reply text is dropped — Postfix's `550 5.1.1 <ada@example.com>:
 * Recipient address rejected` quotes the address — and so is nodemailer's
 * error, which quotes it too (no `cause`: loggers print causes).
 *
 * `permanent` (a 5xx reply other than 503) means that sending the same message
 * again would be refused again: the job runtime fails the job at once.
 */
export class MailDeliveryError extends Error {
  readonly kind: MailFailureKind;
  /** nodemailer's code (EENVELOPE, ECONNECTION, ETIMEDOUT …), or `other`. */
  readonly code: string;
  /** The SMTP reply code (550), when the server replied. */
  readonly responseCode?: number;
  /** The enhanced status code of the reply (5.1.1), when it had one. */
  readonly enhancedStatus?: string;
  readonly command?: string;
  readonly permanent: boolean;
  /** The recipient, masked. */
  readonly recipient: string;

  constructor(error: unknown, recipient: string) {
    const transport = (error ?? {}) as TransportError;
    const kind = kindOf(transport);
    const responseCode = typeof transport.responseCode === 'number' ? transport.responseCode : undefined;
    const enhancedStatus = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(transport.response ?? '')?.[1];
    const code = typeof transport.code === 'string' && CODE.test(transport.code) ? transport.code : 'other';
    const command = transport.command && /^[A-Z ]{2,16}$/i.test(transport.command) ? transport.command.toUpperCase() : undefined;
    const masked = maskEmail(recipient);
    const reply = responseCode ? `${responseCode}${enhancedStatus ? ` ${enhancedStatus}` : ''}` : undefined;
    // Without a reply, the client's own message says what failed (a refused connection, a timeout); it quotes no
    // reply text then, but it may quote an address (nodemailer's "Invalid recipient"), so addresses are masked.
    const detail = reply ?? maskEmailsIn(transport.message ?? String(error)).slice(0, 200);
    super(`${DESCRIPTIONS[kind]} (to ${masked}): ${detail} [${[code, command].filter(Boolean).join(' ')}]`);
    this.name = 'MailDeliveryError';
    this.kind = kind;
    this.code = code;
    this.responseCode = responseCode;
    this.enhancedStatus = enhancedStatus;
    this.command = command;
    this.permanent = responseCode !== undefined ? responseCode >= 500 && responseCode <= 599 && responseCode !== 503 : false;
    this.recipient = masked;
  }

  /** The label of the failure metric: the SMTP reply code when there was one, else nodemailer's code. */
  get metricCode(): string {
    return this.responseCode !== undefined ? String(this.responseCode) : this.code;
  }
}
