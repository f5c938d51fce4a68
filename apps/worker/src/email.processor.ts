import { Injectable } from '@nestjs/common';
import type { DeliveryContext } from '@herald/events';
import { JobName, QueueName, type JobContext, type QueueProcessor } from '@herald/jobs';
import { UserEmailJobs } from '@herald/users';

/** Each job delivers under its own id, and notes a sent mail in its own state in Redis. */
const delivery = (job: JobContext): DeliveryContext => ({ claimant: job.jobId, journal: job.journal });

/** The email queue: each job delegates to a use case; no business logic here. */
@Injectable()
export class EmailProcessor implements QueueProcessor<typeof QueueName.Email> {
  readonly queue = QueueName.Email;

  constructor(private readonly userEmails: UserEmailJobs) {}

  readonly handlers: QueueProcessor<typeof QueueName.Email>['handlers'] = {
    [JobName.SendVerificationEmail]: (data, job) => this.userEmails.sendVerificationEmail(data, delivery(job)),
    [JobName.SendWelcomeEmail]: (data, job) => this.userEmails.sendWelcomeEmail(data, delivery(job)),
    [JobName.SendAccountExistsNotice]: (data, job) => this.userEmails.sendAccountExistsNotice(data, delivery(job)),
  };
}
