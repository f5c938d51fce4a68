import { Injectable } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { OutboxRelay } from '@herald/events';
import { JobRuntime, RedisHealthIndicator } from '@herald/jobs';

/** Ready means: Postgres and Redis answer AND the BullMQ workers and the relay are actually running. */
@Injectable()
export class WorkerHealth {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly workers: JobRuntime,
    private readonly relay: OutboxRelay,
  ) {}

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
