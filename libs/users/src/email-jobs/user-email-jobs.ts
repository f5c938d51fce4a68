import { Injectable, Logger } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { Inbox, type InboxOutcome } from '@herald/events';
import { JobName, type JobPayload } from '@herald/jobs';
import { accountExistsNotice, Mailer, verificationEmail, welcomeEmail, type RenderedMail } from '@herald/mail';
import type { User } from '../domain/user.aggregate.js';
import { UserRepository } from '../infrastructure/user.repository.js';
import { VerificationTokenRepository } from '../infrastructure/verification-token.repository.js';

type EmailJobPayload = JobPayload<typeof JobName.SendVerificationEmail>;

/**
 * The use cases behind the email jobs. Each runs inside the inbox: the
 * (consumer, event) record, any token it mints and the SMTP hand-off form one
 * transaction, so a redelivered job sends nothing twice. The one gap: a crash
 * after the SMTP server accepted the mail and before the commit re-sends it.
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

  sendVerificationEmail(job: EmailJobPayload): Promise<InboxOutcome> {
    return this.inbox.runOnce(JobName.SendVerificationEmail, job.eventId, async () => {
      const user = await this.users.findById(job.userId);
      if (!user || user.isEmailVerified) return;
      const ttlHours = this.config.auth.verificationTokenTtlHours;
      const { token } = await this.tokens.mintFor(user.id, ttlHours, new Date());
      const link = `${this.config.http.appBaseUrl}/verify-email?token=${encodeURIComponent(token)}`;
      await this.send(
        user,
        job.eventId,
        JobName.SendVerificationEmail,
        verificationEmail({ displayName: user.displayName, link, expiresInHours: ttlHours }),
      );
      if (this.mailer.mode === 'file' && this.config.env !== 'production') {
        // Local default only (no SMTP configured, not production): makes the link easy to find.
        this.logger.log({ msg: 'verification link (local mail-to-file mode)', userId: user.id, link });
      }
    });
  }

  sendWelcomeEmail(job: EmailJobPayload): Promise<InboxOutcome> {
    return this.inbox.runOnce(JobName.SendWelcomeEmail, job.eventId, async () => {
      const user = await this.users.findById(job.userId);
      if (!user) return;
      await this.send(
        user,
        job.eventId,
        JobName.SendWelcomeEmail,
        welcomeEmail({ displayName: user.displayName, appUrl: this.config.http.appBaseUrl }),
      );
    });
  }

  sendAccountExistsNotice(job: EmailJobPayload): Promise<InboxOutcome> {
    return this.inbox.runOnce(JobName.SendAccountExistsNotice, job.eventId, async () => {
      const user = await this.users.findById(job.userId);
      if (!user) return;
      await this.send(
        user,
        job.eventId,
        JobName.SendAccountExistsNotice,
        accountExistsNotice({ displayName: user.displayName, appUrl: this.config.http.appBaseUrl }),
      );
    });
  }

  private async send(user: User, eventId: string, kind: string, mail: RenderedMail): Promise<void> {
    await this.mailer.send({
      to: user.email,
      ...mail,
      messageId: `${kind}.${eventId}@herald`,
      headers: { 'X-Herald-Event-Id': eventId, 'X-Herald-Mail-Kind': kind },
    });
  }
}
