import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { TerminusModule } from '@nestjs/terminus';
import { HeraldConfig } from '@herald/config';
import { MetricsModule } from '@herald/observability';
import { QueueName } from './job-contract.js';
import { defaultJobOptions } from './job-options.js';
import { JobProducer } from './job-producer.js';
import { bullConnection } from './redis-connection.js';
import { RedisHealthIndicator } from './redis-health.indicator.js';

const queueRegistrations = Object.values(QueueName).map((name) => BullModule.registerQueue({ name }));

/**
 * Registers every queue of the contract with a producer connection that fails
 * fast while Redis is down (enableOfflineQueue: false): the event then simply
 * stays in the outbox and the relay delivers it later.
 */
@Module({
  imports: [
    MetricsModule,
    BullModule.forRootAsync({
      inject: [HeraldConfig],
      useFactory: (config: HeraldConfig) => ({
        connection: bullConnection(config.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
        prefix: config.redis.queuePrefix,
        defaultJobOptions: defaultJobOptions(config),
      }),
    }),
    ...queueRegistrations,
    TerminusModule,
  ],
  providers: [JobProducer, RedisHealthIndicator],
  exports: [JobProducer, RedisHealthIndicator, ...queueRegistrations],
})
export class JobsModule {}
