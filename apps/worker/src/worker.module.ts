import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigModule, workerPoolSize, type HeraldConfig } from '@herald/config';
import { DatabaseModule } from '@herald/database';
import { EventsModule } from '@herald/events';
import { MetricsModule } from '@herald/observability';
import { UsersEmailJobsModule, usersEventCatalog } from '@herald/users';
import { EmailProcessor } from './email.processor.js';
import { QUEUE_PROCESSORS, QueueWorkers } from './queue-workers.js';
import { WorkerHealth } from './worker-health.js';

/** The worker: consumes jobs and runs the outbox relay. Only this module registers processors. */
@Module({})
export class WorkerModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule.forRoot('herald-worker', { poolSize: workerPoolSize }),
        EventsModule.forRoot({ catalog: [usersEventCatalog], relay: true }),
        UsersEmailJobsModule,
        TerminusModule,
      ],
      providers: [
        EmailProcessor,
        { provide: QUEUE_PROCESSORS, inject: [EmailProcessor], useFactory: (email: EmailProcessor) => [email] },
        QueueWorkers,
        WorkerHealth,
      ],
    };
  }
}
