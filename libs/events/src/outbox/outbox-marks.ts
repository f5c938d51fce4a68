import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OutboxStatus } from './outbox-record.entity.js';

/** The dispatch's statement on the outbox, once the job sink acknowledged an event's jobs. */
@Injectable()
export class OutboxMarks {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Marks rows dispatched; only pending rows change, so a late second dispatch is harmless. */
  async markDispatched(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [, affected] = (await this.dataSource.query(
      `UPDATE outbox SET status = '${OutboxStatus.Dispatched}', dispatched_at = clock_timestamp(), last_error = NULL
       WHERE id = ANY($1::uuid[]) AND status = '${OutboxStatus.Pending}'`,
      [ids],
    )) as [unknown, number];
    return affected;
  }
}
