import { Injectable } from '@nestjs/common';
import { UnitOfWork } from './unit-of-work.js';

export type InboxOutcome = 'processed' | 'duplicate';

/**
 * Consumer-side idempotency. `runOnce` records (consumer, event) and does the
 * work in ONE transaction: a redelivered job finds the row and does nothing;
 * a concurrent duplicate waits on the row lock and then sees it. If the work
 * throws, the record is rolled back with it and a retry does the work again.
 */
@Injectable()
export class Inbox {
  constructor(private readonly uow: UnitOfWork) {}

  async runOnce(consumer: string, eventId: string, work: () => Promise<void>): Promise<InboxOutcome> {
    return this.uow.run(async () => {
      const inserted = (await this.uow.manager.query(
        `INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer, eventId],
      )) as unknown[];
      if (inserted.length === 0) return 'duplicate';
      await work();
      return 'processed';
    });
  }
}
