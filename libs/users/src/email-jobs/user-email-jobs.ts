import { Injectable, Logger } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { Inbox, type DeliveryContext, type InboxOutcome } from '@herald/events';
import { JobName, type JobPayload } from '@herald/jobs';
import { accountExistsNotice, Mailer, verificationEmail, welcomeEmail, type OutgoingMail, type RenderedMail } from '@herald/mail';
import type { User } from '../domain/user.aggregate.js';
import { UserRepository } from '../infrastructure/user.repository.js';
import { VerificationTokenRepository } from '../infrastructure/verification-token.repository.js';

type EmailJobPayload = JobPayload<typeof JobName.SendVerificationEmail>;

/**
 * The use cases behind the email jobs. Each is one inbox delivery: a short
 * transaction claims (consumer, event) and prepares the mail (for a
 * verification email: under the user's row lock, re-checking that the address
 * is still unverified, it mints the token and revokes older ones); the SMTP
 * conversation runs with no transaction and no lock; a second short
 * transaction records the mail as sent. See Inbox for what a retry does.
 */
@Injectable()
export class UserEmailJobs {
  private readonly logger = new Logger(UserEmailJobs.name);

  constructor(
    private readonly inbox: Inbox,
    private readonly users: UserRepository,
    private readonly tokens: VerificationTokenRepository,
    private readonly mailer: Mailer,
    private readonly config: HeraldConfig,
  ) {}

  sendVerificationEmail(job: EmailJobPayload, context: DeliveryContext): Promise<InboxOutcome> {
    let link = '';
    return this.inbox.deliverOnce(JobName.SendVerificationEmail, job.eventId, {
      ...context,
      prepare: async () => {
        // The user's row lock serialises every token change of this user (minting here, using one in
        // VerifyEmailHandler): two jobs at once leave one open token, and a user who verified meanwhile gets no mail.
        const user = await this.users.findByIdForUpdate(job.userId);
        if (!user || user.isEmailVerified) return null;
        const ttlHours = this.config.auth.verificationTokenTtlHours;
        const { token } = await this.tokens.mintFor(user.id, ttlHours, new Date());
        link = `${this.config.http.appBaseUrl}/verify-email?token=${encodeURIComponent(token)}`;
        return this.mail(
          user,
          job.eventId,
          JobName.SendVerificationEmail,
          verificationEmail({ displayName: user.displayName, link, expiresInHours: ttlHours }),
        );
      },
      perform: async (mail) => {
        await this.mailer.send(mail);
        if (this.mailer.mode === 'file' && this.config.env !== 'production') {
          // Local default only (no SMTP configured, not production): makes the link easy to find.
          this.logger.log({ msg: 'verification link (local mail-to-file mode)', userId: job.userId, link });
        }
      },
    });
  }

  sendWelcomeEmail(job: EmailJobPayload, context: DeliveryContext): Promise<InboxOutcome> {
    return this.deliverToUser(job, context, JobName.SendWelcomeEmail, (user) =>
      welcomeEmail({ displayName: user.displayName, appUrl: this.config.http.appBaseUrl }),
    );
  }

  sendAccountExistsNotice(job: EmailJobPayload, context: DeliveryContext): Promise<InboxOutcome> {
    return this.deliverToUser(job, context, JobName.SendAccountExistsNotice, (user) =>
      accountExistsNotice({ displayName: user.displayName, appUrl: this.config.http.appBaseUrl }),
    );
  }

  /** A mail that needs nothing but the user's current address and name. */
  private deliverToUser(
    job: EmailJobPayload,
    context: DeliveryContext,
    kind: JobName,
    render: (user: User) => RenderedMail,
  ): Promise<InboxOutcome> {
    return this.inbox.deliverOnce(kind, job.eventId, {
      ...context,
      prepare: async () => {
        const user = await this.users.findById(job.userId);
        return user ? this.mail(user, job.eventId, kind, render(user)) : null;
      },
      perform: async (mail) => {
        await this.mailer.send(mail);
      },
    });
  }

  private mail(user: User, eventId: string, kind: string, rendered: RenderedMail): OutgoingMail {
    return {
      to: user.email,
      ...rendered,
      // Stable across retries: a receiver can spot the repeat of the at-least-once edge.
      messageId: `${kind}.${eventId}@herald`,
      headers: { 'X-Herald-Event-Id': eventId, 'X-Herald-Mail-Kind': kind },
    };
  }
}
