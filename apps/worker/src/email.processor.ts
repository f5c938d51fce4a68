import { Injectable } from '@nestjs/common';
import { JobName, QueueName, type QueueProcessor } from '@herald/jobs';
import { UserEmailJobs } from '@herald/users';

/** The email queue: each job delegates to a use case; no business logic here. */
@Injectable()
export class EmailProcessor implements QueueProcessor<typeof QueueName.Email> {
  readonly queue = QueueName.Email;

  constructor(private readonly userEmails: UserEmailJobs) {}

  readonly handlers: QueueProcessor<typeof QueueName.Email>['handlers'] = {
    [JobName.SendVerificationEmail]: (data) => this.userEmails.sendVerificationEmail(data),
    [JobName.SendWelcomeEmail]: (data) => this.userEmails.sendWelcomeEmail(data),
    [JobName.SendAccountExistsNotice]: (data) => this.userEmails.sendAccountExistsNotice(data),
  };
}
