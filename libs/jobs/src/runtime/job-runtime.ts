import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import type { QueueDefinition } from '../definition/queue-definition.js';
import { JobProducer } from '../producer/job-producer.js';
import { pairHandlers } from '../registry/handler-pairing.js';
import { JobRegistryExplorer } from '../registry/job-registry-explorer.js';
import { JobOutcomes } from './job-outcomes.js';
import { JobProcessor } from './job-processor.js';
import { applySchedule } from './job-schedules.js';
import { createQueueWorker } from './queue-worker.js';
import { runnableJob, type BoundHandler, type RunnableJob } from './runnable-job.js';
import { workerReadiness } from './worker-readiness.js';

/**
 * The worker's job runtime: at boot it pairs every job of the registry with
 * its one @JobHandler (or the worker does not start), runs one BullMQ Worker
 * per queue of the registry, and sets the schedules of the scheduled jobs.
 * Shutdown waits for active jobs to finish. Only the worker app imports it:
 * the API produces jobs but never consumes them.
 */
@Injectable()
export class JobRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly workers: Worker[] = [];
  private readonly outcomes: JobOutcomes;
  private readonly processor: JobProcessor;

  constructor(
    private readonly explorer: JobRegistryExplorer,
    private readonly config: HeraldConfig,
    private readonly producer: JobProducer,
    metrics: Metrics,
  ) {
    this.outcomes = new JobOutcomes(metrics);
    this.processor = new JobProcessor(this.outcomes, (queue, ms) => this.producer.queue(queue).rateLimit(ms));
  }

  async onApplicationBootstrap(): Promise<void> {
    const registry = this.explorer.registry;
    const handlers: BoundHandler[] = this.explorer
      .handlerProviders()
      .flatMap(({ instance, handlers }) => handlers.map((handler) => ({ ...handler, instance })));
    // Every job of the registry is paired with its handler here, or the worker does not start.
    const runnables = pairHandlers(registry, handlers).map(runnableJob);
    const byQueue = new Map<QueueDefinition, Map<string, RunnableJob>>();
    for (const runnable of runnables) {
      const served = byQueue.get(runnable.job.queue) ?? new Map<string, RunnableJob>();
      byQueue.set(runnable.job.queue, served.set(runnable.job.name, runnable));
    }

    for (const queue of registry.queues) {
      const served = byQueue.get(queue) ?? new Map<string, RunnableJob>();
      const worker = createQueueWorker(queue, this.config, (job, token) => this.processor.process(queue.name, served, job, token));
      worker.on('error', (error) => this.logger.warn({ msg: 'worker connection error', queue: queue.name, err: error }));
      worker.on('stalled', (jobId) => this.outcomes.stalled(queue.name, jobId));
      this.workers.push(worker);
    }
    this.logger.log({ msg: 'queue workers started', queues: registry.queueNames, concurrency: this.config.worker.concurrency });

    for (const runnable of runnables) {
      if (runnable.kind !== 'scheduled') continue;
      // Upkeep must not keep the worker from serving jobs: a schedule that could not be set is logged,
      // and set again by the next worker to boot.
      await applySchedule(this.producer.queue(runnable.job.queue.name), runnable.job, this.config, this.logger).catch((error: unknown) =>
        this.logger.error({
          msg: 'could not set the job schedule',
          queue: runnable.job.queue.name,
          jobName: runnable.job.name,
          err: error,
        }),
      );
    }
  }

  /** Stops taking jobs and waits for the active ones (SIGTERM path). */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    this.logger.log({ msg: 'queue workers stopped' });
  }

  /** Readiness of every queue's worker (see workerReadiness), by queue. */
  connectionsReady(timeoutMs = 1000): Promise<Record<string, string>> {
    return workerReadiness(this.workers, timeoutMs);
  }
}
