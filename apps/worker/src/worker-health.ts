import { Injectable } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { OutboxRelay } from '@herald/events';
import { RedisHealthIndicator } from '@herald/jobs';
import { QueueWorkers } from './queue-workers.js';

/** Ready means: Postgres and Redis answer AND the BullMQ workers and the relay are actually running. */
@Injectable()
export class WorkerHealth {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly workers: QueueWorkers,
    private readonly relay: OutboxRelay,
  ) {}

  /** Resolves with the terminus result; rejects (with `response`) when something is down. */
  ready() {
    return this.health.check([
      () => this.database.pingCheck('postgres', { timeout: 1000 }),
      () => this.redis.pingCheck('redis'),
      () => ({ workers: { status: this.workers.allRunning ? ('up' as const) : ('down' as const) } }),
      () => ({ relay: { status: this.relay.isRunning ? ('up' as const) : ('down' as const) } }),
    ]);
  }
}
