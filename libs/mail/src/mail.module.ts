import { Module } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { MetricsModule } from '@herald/observability';
import { Mailer } from './mailer.js';
import { FileTransport } from './transports/file-transport.js';
import { MailTransport } from './transports/mail-transport.js';
import { ResendTransport } from './transports/resend-transport.js';
import { SmtpTransport } from './transports/smtp-transport.js';

/** The transport MAIL_TRANSPORT names (validated at start-up: SMTP_URL for smtp, RESEND_API_KEY for resend). */
export function createMailTransport(config: HeraldConfig): MailTransport {
  switch (config.mail.transport) {
    case 'smtp':
      return new SmtpTransport(config);
    case 'resend':
      return new ResendTransport(config);
    case 'file':
      return new FileTransport(config);
  }
}

@Module({
  imports: [MetricsModule],
  providers: [{ provide: MailTransport, useFactory: createMailTransport, inject: [HeraldConfig] }, Mailer],
  exports: [Mailer],
})
export class MailModule {}
