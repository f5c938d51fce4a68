// The message the email baselines send (scenario 8's raw sends and floors, scenario 2's raw SMTP stage): herald's own
// verification email, rendered by herald's templates and shaped by its transports' nodemailerMessage (the built output,
// which `npm run bench` builds first), to a seeded-like user (no display name) with a token of herald's length. A baseline
// then differs from herald's worker by herald's machinery only, not by the message: nodemailer composes this one
// (1.7 kB) in about twice the time of the one-line message the baselines sent before 2026-12-07 (0.74 kB).
import { randomBytes, randomUUID } from 'node:crypto';

const built = new URL('../dist/apps/worker/libs/', import.meta.url);
const { verificationEmail } = await import(new URL('notifications/src/templates/templates.js', built).href);
const { nodemailerMessage } = await import(new URL('mail/src/transports/mail-transport.js', built).href);

/** nodemailer's message for one verification email to `to`, as herald's SMTP transport hands it over. */
export function verificationMail(to) {
  const eventId = randomUUID();
  const token = `${randomBytes(12).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  const content = verificationEmail({ displayName: null, link: `https://herald.test/verify-email?token=${token}`, expiresInHours: 24 });
  return nodemailerMessage({
    from: 'herald <no-reply@herald.local>',
    to,
    ...content,
    messageId: `send-verification-email.${eventId}@herald`,
    headers: { 'X-Herald-Event-Id': eventId, 'X-Herald-Mail-Kind': 'send-verification-email' },
  });
}
