import type { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { HeraldConfig } from '@herald/config';
import type { InboxOutcome } from '@herald/events';
import type { JobContext } from '@herald/jobs';
import {
  GetUserContactQuery,
  IssueEmailVerificationTokenCommand,
  IssuePasswordResetTokenCommand,
  type IssuedVerificationToken,
  type UserContact,
} from '@herald/users';
import {
  AccountEmails,
  SendAccountExistsNotice,
  SendPasswordChangedNotice,
  SendPasswordResetEmail,
  SendVerificationEmail,
  SendWelcomeEmail,
} from './account-emails.js';
import type { EmailDelivery, PreparedMail } from './email-delivery.js';

const USER = '01938a8e-7c00-7000-8000-0000000000d1';
const EVENT = '01938a8e-7c00-7000-8000-0000000000e1';
const job = { userId: USER, eventId: EVENT, correlationId: 'c-account-emails' };
const context = { jobId: `reaction.${EVENT}`, attempt: 1 } as JobContext;
const contact: UserContact = { email: 'ada@example.com', displayName: 'Ada' };
/** The delivery's stable name, which the real EmailDelivery derives from the job's inbox key. */
const DELIVERY = `reaction.${EVENT}`;

/** The delivery as the handlers see it: runs `prepare` with the delivery's name, "sends" what it returns, and says what happened. */
class FakeDelivery {
  readonly sent: PreparedMail[] = [];
  writesFiles = false;
  async send(
    _context: JobContext,
    prepare: (delivery: { readonly name: string }) => Promise<PreparedMail | null>,
    afterSend?: () => void,
  ): Promise<InboxOutcome> {
    const mail = await prepare({ name: DELIVERY });
    if (!mail) return 'skipped';
    this.sent.push(mail);
    afterSend?.();
    return 'processed';
  }
}

function setUp(answers: { issued?: object | null; contact?: UserContact | null } = {}) {
  const delivery = new FakeDelivery();
  const commands: unknown[] = [];
  const queries: unknown[] = [];
  const commandBus = { execute: async (command: unknown) => (commands.push(command), answers.issued ?? null) } as unknown as CommandBus;
  const queryBus = { execute: async (query: unknown) => (queries.push(query), answers.contact ?? null) } as unknown as QueryBus;
  const config = { env: 'test', http: { appBaseUrl: 'https://herald.example' } } as HeraldConfig;
  const emails = new AccountEmails(delivery as unknown as EmailDelivery, commandBus, queryBus, config);
  return { emails, delivery, commands, queries };
}

describe(AccountEmails.name, () => {
  describe('sendVerificationEmail', () => {
    const issued: IssuedVerificationToken = { token: 'sel.ver+/=', email: 'ada@example.com', displayName: 'Ada', expiresInHours: 48 };

    it('mints a token derived from the delivery, for the request this job is for, and mails its link to the address the users context gave', async () => {
      const { emails, delivery, commands } = setUp({ issued });

      expect(await emails.sendVerificationEmail(job, context)).toBe('processed');

      expect(commands).toEqual([new IssueEmailVerificationTokenCommand(USER, EVENT, DELIVERY)]);
      expect(delivery.sent).toHaveLength(1);
      const [mail] = delivery.sent;
      expect(mail).toMatchObject({ to: 'ada@example.com', kind: SendVerificationEmail.name });
      expect(mail!.content.text).toContain('https://herald.example/verify-email?token=sel.ver%2B%2F%3D');
      expect(mail!.content.text).toContain('Hello Ada,');
    });

    it('sends nothing when no token was minted (user gone, verified, or a later request supersedes this one)', async () => {
      const { emails, delivery } = setUp({ issued: null });
      expect(await emails.sendVerificationEmail(job, context)).toBe('skipped');
      expect(delivery.sent).toEqual([]);
    });
  });

  describe('sendPasswordResetEmail', () => {
    it('mints a reset token for the open request and mails its reset-password link', async () => {
      const { emails, delivery, commands } = setUp({
        issued: { token: 'sel.reset', email: 'ada@example.com', displayName: null, expiresInMinutes: 30 },
      });

      expect(await emails.sendPasswordResetEmail(job, context)).toBe('processed');

      expect(commands).toEqual([new IssuePasswordResetTokenCommand(USER, EVENT, DELIVERY)]);
      expect(delivery.sent[0]).toMatchObject({ to: 'ada@example.com', kind: SendPasswordResetEmail.name });
      expect(delivery.sent[0]!.content.text).toContain('https://herald.example/reset-password?token=sel.reset');
    });

    it('sends nothing when the request is no longer open', async () => {
      const { emails, delivery } = setUp({ issued: null });
      expect(await emails.sendPasswordResetEmail(job, context)).toBe('skipped');
      expect(delivery.sent).toEqual([]);
    });
  });

  // The mails that need nothing but the user's current address and name.
  describe.each([
    ['sendWelcomeEmail', SendWelcomeEmail.name, 'Welcome to herald'],
    ['sendAccountExistsNotice', SendAccountExistsNotice.name, undefined],
    ['sendPasswordChangedNotice', SendPasswordChangedNotice.name, undefined],
  ] as const)('%s', (handler, kind, subject) => {
    it("reads the user's current address and mails it there, minting nothing", async () => {
      const { emails, delivery, commands, queries } = setUp({ contact });

      expect(await emails[handler](job, context)).toBe('processed');

      expect(queries).toEqual([new GetUserContactQuery(USER)]);
      expect(commands).toEqual([]);
      expect(delivery.sent).toHaveLength(1);
      expect(delivery.sent[0]).toMatchObject({ to: 'ada@example.com', kind });
      if (subject) expect(delivery.sent[0]!.content.subject).toBe(subject);
      expect(delivery.sent[0]!.content.text).toContain('https://herald.example');
    });

    it('sends nothing to a user who no longer exists', async () => {
      const { emails, delivery } = setUp({ contact: null });
      expect(await emails[handler](job, context)).toBe('skipped');
      expect(delivery.sent).toEqual([]);
    });
  });
});
