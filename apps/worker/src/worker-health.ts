import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { OutboxRelay } from '@herald/events';
import { JobRuntime, RedisHealthIndicator } from '@herald/jobs';
import { Metrics } from '@herald/observability';

/** Ready means: Postgres and Redis answer AND the BullMQ workers and the relay are actually running. */
@Injectable()
export class WorkerHealth implements OnModuleInit {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly workers: JobRuntime,
    private readonly relay: OutboxRelay,
    private readonly metrics: Metrics,
  ) {}

  /**
   * The same readiness as a metric, checked at scrape time: an alert can see a
   * worker that is alive (its /metrics answers) but cannot do its work.
   */
  onModuleInit(): void {
    const ready = () => this.ready();
    this.metrics.gauge({
      name: 'herald_worker_ready',
      help: 'Whether this worker is ready (1) or not (0), as GET /health/ready answers',
      async collect() {
        this.set(
          await ready().then(
            () => 1,
            () => 0,
          ),
        );
      },
    });
  }

  /** Resolves with the terminus result; rejects (with `response`) when something is down. */
  ready() {
    return this.health.check([
      () => this.database.pingCheck('postgres', { timeout: 1000 }),
      () => this.redis.pingCheck('redis'),
      async () => {
        const queues = await this.workers.connectionsReady();
        const up = Object.keys(queues).length > 0 && Object.values(queues).every((state) => state === 'ready');
        return { workers: { status: up ? ('up' as const) : ('down' as const), queues } };
      },
      () => ({ relay: { status: this.relay.isRunning ? ('up' as const) : ('down' as const) } }),
    ]);
  }
}
