import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { JOB_SINK } from '@herald/events';
import { MetricsModule } from '@herald/observability';
import { JobProducer } from './producer/job-producer.js';
import { QueueJobsGauge } from './producer/queue-jobs-gauge.js';
import { RedisHealthIndicator } from './redis/redis-health.indicator.js';
import { JobRegistryExplorer } from './registry/job-registry-explorer.js';
import { JobRuntime } from './runtime/job-runtime.js';

/**
 * Typed queues on BullMQ. Every app that commits events imports it: its
 * JobProducer is the events platform's JobSink, and its JobRegistryExplorer
 * the one list of queues and jobs. The worker adds the runtime
 * (`{ runtime: true }`), which consumes and schedules; the API never does.
 */
@Global()
@Module({})
export class JobsModule {
  static forRoot(options: { runtime: boolean }): DynamicModule {
    return {
      module: JobsModule,
      imports: [MetricsModule, TerminusModule, DiscoveryModule],
      providers: [
        JobRegistryExplorer,
        JobProducer,
        QueueJobsGauge,
        { provide: JOB_SINK, useExisting: JobProducer },
        RedisHealthIndicator,
        ...(options.runtime ? [JobRuntime] : []),
      ],
      exports: [JobRegistryExplorer, JobProducer, JOB_SINK, RedisHealthIndicator, ...(options.runtime ? [JobRuntime] : [])],
    };
  }
}
