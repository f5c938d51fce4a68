import { Command } from '@nestjs/cqrs';

/** `processed`: the request raised its event; `skipped`: it asked for nothing that applies (no account, already verified); `duplicate`: resolved before. */
export type AccountRequestOutcome = 'processed' | 'skipped' | 'duplicate';

/** Resolves one account request (in the worker, off the request path). */
export class ResolveAccountRequestCommand extends Command<AccountRequestOutcome> {
  constructor(readonly requestId: string) {
    super();
  }
}
