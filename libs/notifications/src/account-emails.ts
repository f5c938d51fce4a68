import { Injectable, Logger } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { z } from 'zod';
import { HeraldConfig } from '@herald/config';
import type { InboxOutcome } from '@herald/events';
import { defineJob, JobHandler, type JobContext, type JobData } from '@herald/jobs';
import { GetUserContactQuery, IssueEmailVerificationTokenCommand, IssuePasswordResetTokenCommand, type UserContact } from '@herald/users';
import { EmailDelivery, type PreparedMail } from './email-delivery.js';
import { EmailQueue } from './email-queue.js';
import {
  accountExistsNotice,
  passwordChangedNotice,
  passwordResetEmail,
  verificationEmail,
  welcomeEmail,
  type RenderedMail,
} from './templates/templates.js';

/** Email jobs carry the user's id only: the address is read when the mail is written. */
const toUser = { userId: z.uuid() };

// Job and reaction names are stored with every job and inbox record: NEVER rename them.
export const SendVerificationEmail = defineJob({ name: 'send-verification-email', queue: EmailQueue, data: toUser });
export const SendWelcomeEmail = defineJob({ name: 'send-welcome-email', queue: EmailQueue, data: toUser });
export const SendAccountExistsNotice = defineJob({ name: 'send-account-exists-notice', queue: EmailQueue, data: toUser });
export const SendPasswordResetEmail = defineJob({ name: 'send-password-reset-email', queue: EmailQueue, data: toUser });
export const SendPasswordChangedNotice = defineJob({ name: 'send-password-changed-notice', queue: EmailQueue, data: toUser });

type ToUser = JobData<typeof SendWelcomeEmail>;

/**
 * The emails about a user's account: their jobs, and the handler of each
 * (in the worker) that writes the mail and sends it. The reactions that queue
 * them (event → job) are in reactions/, one per file.
 */
@Injectable()
export class AccountEmails {
  private readonly logger = new Logger(AccountEmails.name);

  constructor(
    private readonly delivery: EmailDelivery,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly config: HeraldConfig,
  ) {}

  /**
   * A new link, minted under the user's row lock in the claim transaction
   * (older links stop working), only for the user's latest verification
   * request (the event this job is for) while the address is unverified.
   * The token is derived from the delivery's name, so a retry sends the first
   * attempt's link (see EmailDelivery).
   */
  @JobHandler(SendVerificationEmail)
  sendVerificationEmail(job: ToUser, context: JobContext): Promise<InboxOutcome> {
    let link = '';
    return this.delivery.send(
      context,
      async (delivery) => {
        const issued = await this.commands.execute(new IssueEmailVerificationTokenCommand(job.userId, job.eventId, delivery.name));
        if (!issued) return null; // gone, verified meanwhile, or asked again since (that request's job sends the link)
        link = `${this.config.http.appBaseUrl}/verify-email?token=${encodeURIComponent(issued.token)}`;
        const content = verificationEmail({ displayName: issued.displayName, link, expiresInHours: issued.expiresInHours });
        return mail(SendVerificationEmail.name, issued, content);
      },
      () => {
        if (this.delivery.writesFiles && this.config.env !== 'production') {
          // Local default only (no SMTP configured, not production): makes the link easy to find.
          this.logger.log({ msg: 'verification link (local mail-to-file mode)', userId: job.userId, link });
        }
      },
    );
  }

  /**
   * A reset link, minted like a verification link (older reset links stop
   * working), and only while the request is open: a replay of a request that
   * was used, superseded or overtaken by a password change sends nothing.
   */
  @JobHandler(SendPasswordResetEmail)
  sendPasswordResetEmail(job: ToUser, context: JobContext): Promise<InboxOutcome> {
    return this.delivery.send(context, async (delivery) => {
      const issued = await this.commands.execute(new IssuePasswordResetTokenCommand(job.userId, job.eventId, delivery.name));
      if (!issued) return null; // the account is gone, or the request is no longer open
      const link = `${this.config.http.appBaseUrl}/reset-password?token=${encodeURIComponent(issued.token)}`;
      const content = passwordResetEmail({ displayName: issued.displayName, link, expiresInMinutes: issued.expiresInMinutes });
      return mail(SendPasswordResetEmail.name, issued, content);
    });
  }

  @JobHandler(SendWelcomeEmail)
  sendWelcomeEmail(job: ToUser, context: JobContext): Promise<InboxOutcome> {
    return this.toContact(job, context, SendWelcomeEmail.name, (contact) =>
      welcomeEmail({ displayName: contact.displayName, appUrl: this.config.http.appBaseUrl }),
    );
  }

  @JobHandler(SendAccountExistsNotice)
  sendAccountExistsNotice(job: ToUser, context: JobContext): Promise<InboxOutcome> {
    return this.toContact(job, context, SendAccountExistsNotice.name, (contact) =>
      accountExistsNotice({ displayName: contact.displayName, appUrl: this.config.http.appBaseUrl }),
    );
  }

  @JobHandler(SendPasswordChangedNotice)
  sendPasswordChangedNotice(job: ToUser, context: JobContext): Promise<InboxOutcome> {
    return this.toContact(job, context, SendPasswordChangedNotice.name, (contact) =>
      passwordChangedNotice({ displayName: contact.displayName, appUrl: this.config.http.appBaseUrl }),
    );
  }

  /** A mail that needs nothing but the user's current address and name. */
  private toContact(job: ToUser, context: JobContext, kind: string, render: (contact: UserContact) => RenderedMail): Promise<InboxOutcome> {
    return this.delivery.send(context, async () => {
      const contact = await this.queries.execute(new GetUserContactQuery(job.userId));
      return contact ? mail(kind, contact, render(contact)) : null;
    });
  }
}

const mail = (kind: string, contact: UserContact, content: RenderedMail): PreparedMail => ({ to: contact.email, kind, content });
