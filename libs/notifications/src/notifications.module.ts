import { Module } from '@nestjs/common';
import { OwnsTables } from '@herald/database';
import { BoundedContext } from '@herald/events';
import { MailModule } from '@herald/mail';
import { AccountEmails } from './account-emails.js';
import { EmailDelivery } from './email-delivery.js';
import { notificationsMigrations } from './migrations/index.js';
import { ACCOUNT_EMAIL_REACTIONS } from './reactions/index.js';

/**
 * The notifications context: it owns email — templates, the email jobs, their
 * reactions to other contexts' events and their delivery records (inbox). It
 * reads what it needs through the other contexts' public commands and queries.
 */
@BoundedContext({ name: 'notifications', events: [] })
@OwnsTables(notificationsMigrations)
@Module({
  imports: [MailModule],
  providers: [EmailDelivery, AccountEmails, ...ACCOUNT_EMAIL_REACTIONS],
})
export class NotificationsModule {}
