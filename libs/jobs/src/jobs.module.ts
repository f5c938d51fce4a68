import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { JOB_SINK } from '@herald/events';
import { MetricsModule } from '@herald/observability';
import { EventRetentionJob } from './event-retention.job.js';
import { JobProducer } from './job-producer.js';
import { JobRuntime } from './job-runtime.js';
import { RedisHealthIndicator } from './redis-health.indicator.js';

/**
 * Typed queues on BullMQ. Every app that commits events imports it: its
 * JobProducer is the events platform's JobSink. The worker adds the runtime
 * (`{ runtime: true }`), which consumes, and schedules the platform's own
 * upkeep (the event tables' retention); the API never does.
 */
@Global()
@Module({})
export class JobsModule {
  static forRoot(options: { runtime: boolean }): DynamicModule {
    return {
      module: JobsModule,
      imports: [MetricsModule, TerminusModule, DiscoveryModule],
      providers: [
        JobProducer,
        { provide: JOB_SINK, useExisting: JobProducer },
        RedisHealthIndicator,
        ...(options.runtime ? [JobRuntime, EventRetentionJob] : []),
      ],
      exports: [JobProducer, JOB_SINK, RedisHealthIndicator, ...(options.runtime ? [JobRuntime] : [])],
    };
  }
}
