import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Metrics } from '@herald/observability';
import { OutboxQueries, type OutboxBacklog as Backlog } from './outbox-queries.js';

/** How long one reading of the outbox serves the gauges: one query per scrape, not one per gauge. */
const READING_TTL_MS = 1000;

/** Outbox backlog and dead-letter gauges, read from Postgres when Prometheus scrapes. */
@Injectable()
export class OutboxMetrics implements OnModuleInit {
  private reading?: { at: number; backlog: Promise<Backlog> };

  constructor(
    private readonly metrics: Metrics,
    private readonly queries: OutboxQueries,
  ) {}

  onModuleInit(): void {
    const read = () => this.read();
    this.metrics.gauge({
      name: 'herald_outbox_pending',
      help: "Outbox rows not dispatched yet (counted up to 10,000; beyond, Postgres's estimate)",
      async collect() {
        this.set((await read()).pending);
      },
    });
    this.metrics.gauge({
      name: 'herald_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest undispatched outbox row',
      async collect() {
        this.set(((await read()).oldestPendingAgeMs ?? 0) / 1000);
      },
    });
    // A gauge of the rows, not a counter of moves: it stays up until an operator requeues them.
    this.metrics.gauge({
      name: 'herald_outbox_dead',
      help: 'Outbox rows in dead letters (they wait for an operator)',
      async collect() {
        this.set((await read()).dead);
      },
    });
  }

  private read(): Promise<Backlog> {
    if (!this.reading || Date.now() - this.reading.at > READING_TTL_MS) {
      const backlog = this.queries.backlog();
      this.reading = { at: Date.now(), backlog };
      backlog.catch(() => (this.reading = undefined)); // a failed reading is not kept
    }
    return this.reading.backlog;
  }
}
