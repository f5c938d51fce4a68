import type { AfterQueryEvent, EntitySubscriberInterface } from 'typeorm';

/**
 * Keeps the command tag Postgres answered each COMMIT with, on the query
 * runner: `ROLLBACK` means the transaction had been aborted and was rolled
 * back. TypeORM reports both as success and keeps the tag to itself, except
 * in this documented subscriber event.
 */
export class CommitTagSubscriber implements EntitySubscriberInterface {
  afterQuery(event: AfterQueryEvent): void {
    if (event.success && event.query === 'COMMIT') {
      event.queryRunner.data = { ...event.queryRunner.data, commitTag: (event.rawResults as { command?: string } | undefined)?.command };
    }
  }
}
