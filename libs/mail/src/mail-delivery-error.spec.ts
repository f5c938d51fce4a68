import { isPermanentFailure } from '@herald/observability';
import { MailApiRefusal, MailDeliveryError } from './mail-delivery-error.js';

const ADDRESS = 'ada@example.com';

/** The error nodemailer gives when the server refuses the only recipient (its shape, as smtp-connection builds it). */
function refusal(reply: string): Error {
  return Object.assign(new Error(`Can't send mail - all recipients were rejected: ${reply}`), {
    code: 'EENVELOPE',
    command: 'RCPT TO',
    response: reply,
    responseCode: Number(reply.slice(0, 3)),
    rejected: [ADDRESS],
    rejectedErrors: [Object.assign(new Error(`Recipient command failed: ${reply}`), { recipient: ADDRESS })],
  });
}

describe(MailDeliveryError.name, () => {
  it("reduces Postfix's permanent refusal to kind, codes and the masked recipient", () => {
    const error = new MailDeliveryError(
      refusal(`550 5.1.1 <${ADDRESS}>: Recipient address rejected: User unknown in local recipient table`),
      ADDRESS,
    );
    expect(error.message).toBe('SMTP server refused the recipient (to a***@example.com): 550 5.1.1 [EENVELOPE RCPT TO]');
    expect(error).toMatchObject({
      name: 'MailDeliveryError',
      kind: 'recipient-refused',
      code: 'EENVELOPE',
      responseCode: 550,
      enhancedStatus: '5.1.1',
      command: 'RCPT TO',
      permanent: true,
      recipient: 'a***@example.com',
      metricCode: '550',
    });
    expect(isPermanentFailure(error)).toBe(true);
  });

  it('carries nothing of the original: no address in its message, stack or properties, no cause', () => {
    const error = new MailDeliveryError(refusal(`550 5.1.1 <${ADDRESS}>: Recipient address rejected`), ADDRESS);
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(ADDRESS);
    expect(error.cause).toBeUndefined();
  });

  it('takes a 4xx reply (greylisting, a full mailbox) and 503 for transient: the job retries', () => {
    const greylisted = new MailDeliveryError(refusal(`450 4.2.0 <${ADDRESS}>: Recipient address rejected: Greylisted`), ADDRESS);
    expect(greylisted).toMatchObject({ permanent: false, responseCode: 450, enhancedStatus: '4.2.0' });
    expect(isPermanentFailure(greylisted)).toBe(false);
    expect(new MailDeliveryError(refusal('503 5.5.1 Error: need MAIL command'), ADDRESS).permanent).toBe(false);
  });

  it("keeps a failure without a reply as the client's own words, addresses masked, and keeps its code", () => {
    const refused = new MailDeliveryError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' }), ADDRESS);
    expect(refused).toMatchObject({ kind: 'connection', code: 'ESOCKET', permanent: false, metricCode: 'ESOCKET' });
    expect(refused.message).toBe('SMTP connection failed (to a***@example.com): connect ECONNREFUSED 127.0.0.1:2525 [ESOCKET]');
    const timeout = new MailDeliveryError(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' }), ADDRESS);
    // The same code as nodemailer's: what isServiceUnavailable and the job runtime decide on stays as it was.
    expect(timeout).toMatchObject({ kind: 'timeout', code: 'ETIMEDOUT' });
    const invalid = new MailDeliveryError(Object.assign(new Error(`Invalid recipient "${ADDRESS}"`), { code: 'EENVELOPE' }), ADDRESS);
    expect(invalid.message).not.toContain(ADDRESS);
  });

  it('bounds the metric label: an unknown code is `other`', () => {
    expect(new MailDeliveryError(Object.assign(new Error('x'), { code: 'not a code <ada@example.com>' }), ADDRESS).metricCode).toBe(
      'other',
    );
    expect(new MailDeliveryError('a string was thrown', ADDRESS)).toMatchObject({ kind: 'other', code: 'other' });
  });
});

describe('MailDeliveryError of a mail API refusal', () => {
  const refused = (status: number | null, name: string, retryAfterMs?: number, timedOut = false) =>
    new MailDeliveryError(new MailApiRefusal('Resend', status, name, retryAfterMs, timedOut), ADDRESS);

  it('fails a 4xx for good, with the recipient masked and no reply text', () => {
    const error = refused(422, 'validation_error');
    expect(error).toMatchObject({
      kind: 'message-refused',
      permanent: true,
      responseCode: 422,
      code: 'validation_error',
      metricCode: '422',
    });
    expect(error.message).toBe(
      'Resend API refused the message (to a***@example.com): 422 validation_error [validation_error POST /emails]',
    );
    expect(isPermanentFailure(error)).toBe(true);
    expect(refused(403, 'invalid_api_key')).toMatchObject({ kind: 'auth', permanent: true });
    expect(refused(403, 'invalid_from_address')).toMatchObject({ kind: 'sender-refused', permanent: true });
  });

  it('fails a changed message under a used key for good: the idempotency conflict', () => {
    expect(refused(409, 'invalid_idempotent_request')).toMatchObject({ kind: 'idempotency-conflict', permanent: true, metricCode: '409' });
  });

  it('retries a key still in flight, a 429 and a 5xx, with the wait the API asked for', () => {
    expect(refused(409, 'concurrent_idempotent_requests')).toMatchObject({ kind: 'in-flight', permanent: false, retryAfterMs: 1000 });
    expect(refused(429, 'rate_limit_exceeded', 7000)).toMatchObject({ kind: 'rate-limited', permanent: false, retryAfterMs: 7000 });
    expect(refused(503, 'internal_server_error', 2000)).toMatchObject({ kind: 'provider-error', permanent: false, retryAfterMs: 2000 });
    expect(refused(500, 'application_error')).toMatchObject({ kind: 'provider-error', permanent: false, retryAfterMs: undefined });
  });

  it('retries when there was no answer (network, timeout), and bounds an unknown error name', () => {
    expect(refused(null, 'application_error')).toMatchObject({ kind: 'connection', permanent: false, metricCode: 'application_error' });
    expect(refused(null, 'application_error', undefined, true)).toMatchObject({ kind: 'timeout', permanent: false });
    expect(refused(400, 'no such name <ada@example.com>')).toMatchObject({ code: 'other', permanent: true });
  });
});
