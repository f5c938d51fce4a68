import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigModule, workerPoolSize, type HeraldConfig } from '@herald/config';
import { HERALD_MODULES } from '@herald/contexts';
import { DatabaseModule } from '@herald/database';
import { EventsModule } from '@herald/events';
import { JobsModule } from '@herald/jobs';
import { MetricsModule } from '@herald/observability';
import { WorkerHealth } from './worker-health.js';

/** The worker: runs the job handlers the contexts declare, and the outbox relay. Only this app consumes jobs. */
@Module({})
export class WorkerModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule.forRoot('herald-worker', { poolSize: workerPoolSize }),
        EventsModule.forRoot({ relay: true }),
        JobsModule.forRoot({ runtime: true }),
        ...HERALD_MODULES,
        TerminusModule,
      ],
      providers: [WorkerHealth],
    };
  }
}
