import { isPermanentFailure } from '@herald/observability';
import { MailDeliveryError } from './mail-delivery-error.js';

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
