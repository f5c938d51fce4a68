import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Metrics } from '@herald/observability';

/** Outbox backlog gauges, read from Postgres when Prometheus scrapes. */
@Injectable()
export class OutboxMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const dataSource = this.dataSource;
    const read = async () => {
      const [row] = (await dataSource.query(
        `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float AS oldest
         FROM outbox WHERE status = 'pending'`,
      )) as { pending: number; oldest: number }[];
      return row ?? { pending: 0, oldest: 0 };
    };
    this.metrics.gauge({
      name: 'herald_outbox_pending',
      help: 'Outbox rows not dispatched yet',
      async collect() {
        this.set((await read()).pending);
      },
    });
    this.metrics.gauge({
      name: 'herald_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest undispatched outbox row',
      async collect() {
        this.set((await read()).oldest);
      },
    });
  }
}
