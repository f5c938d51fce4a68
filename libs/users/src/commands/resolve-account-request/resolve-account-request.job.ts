import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { z } from 'zod';
import { Reaction } from '@herald/events';
import { defineJob, defineQueue, JobHandler, type JobData } from '@herald/jobs';
import { AccountRequestReceived } from '../../domain/events/user-events.js';
import { ResolveAccountRequestCommand, type AccountRequestOutcome } from './resolve-account-request.command.js';

/**
 * The users context's own queue: account requests waiting to be resolved. Its
 * name is part of the Redis key space: NEVER rename it.
 */
export const AccountsQueue = defineQueue({ name: 'accounts' });

/** Carries the request's id only: the address stays in Postgres (never in Redis, on the board or in a failed job). */
export const ResolveAccountRequest = defineJob({ name: 'resolve-account-request', queue: AccountsQueue, data: { requestId: z.uuid() } });

/**
 * Every account request is resolved in the worker: the reaction queues the
 * same job whatever the address, and its handler decides (off the request
 * path, so the caller's answer and its timing tell nothing).
 */
@Injectable()
export class AccountRequestJobs {
  constructor(private readonly commands: CommandBus) {}

  // The reaction's name is stored with every job and inbox record: NEVER rename it.
  @Reaction(AccountRequestReceived, { name: 'resolve-account-request-on-receipt', job: ResolveAccountRequest })
  resolveOnReceipt(event: AccountRequestReceived) {
    return { requestId: event.aggregateId };
  }

  @JobHandler(ResolveAccountRequest)
  resolve(job: JobData<typeof ResolveAccountRequest>): Promise<AccountRequestOutcome> {
    return this.commands.execute(new ResolveAccountRequestCommand(job.requestId));
  }
}
