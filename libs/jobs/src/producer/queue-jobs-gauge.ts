import { Injectable } from '@nestjs/common';
import { Metrics } from '@herald/observability';
import { JobRegistryExplorer } from '../registry/job-registry-explorer.js';
import { JobProducer } from './job-producer.js';

/** The job states the gauge reports. */
const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

/**
 * `herald_queue_jobs{queue,state}`: the jobs of every queue of the registry,
 * read from Redis at scrape time, in the API and the worker alike. The
 * failed-jobs alert (HeraldJobsDeadLettered) groups it by queue, so a queue is
 * watched as soon as it is declared.
 */
@Injectable()
export class QueueJobsGauge {
  constructor(explorer: JobRegistryExplorer, producer: JobProducer, metrics: Metrics) {
    metrics.gauge({
      name: 'herald_queue_jobs',
      help: 'Jobs per queue and state (read from Redis at scrape time)',
      labelNames: ['queue', 'state'],
      async collect() {
        this.reset();
        for (const name of explorer.registry.queueNames) {
          const counts = await producer.queue(name).getJobCounts(...STATES);
          for (const [state, count] of Object.entries(counts)) this.set({ queue: name, state }, count);
        }
      },
    });
  }
}
