// The public surface of @herald/jobs, by who uses it.

// Contexts: declare queues, jobs (queued by reactions, or scheduled) and their handlers.
export { defineQueue, MaintenanceQueue, type QueueDefinition } from './definition/queue-definition.js';
export { defineJob, type AnyJobDefinition, type JobData, type JobDefinition } from './definition/job-definition.js';
export { defineScheduledJob, type ScheduledJobContext, type ScheduledJobDefinition } from './definition/scheduled-job.js';
export { JobHandler, type HandledJob, type JobHandlerMethod } from './definition/job-handler.js';
export { EFFECT_PERFORMED_AT, type JobContext } from './runtime/job-context.js';

// The one list of queues and jobs (Bull Board, metrics, the ops CLI, the worker).
export { JobRegistry, JobRegistryError } from './registry/job-registry.js';
export { JobRegistryExplorer } from './registry/job-registry-explorer.js';
export { jobRegistryOfModules } from './registry/job-registry-of-modules.js';
export { JobHandlerRegistryError } from './registry/handler-pairing.js';

// The apps: the module, the producer, the worker's runtime, Redis.
export { JobsModule } from './jobs.module.js';
export { EnqueueTimeoutError, JobProducer } from './producer/job-producer.js';
export { defaultJobOptions } from './producer/job-options.js';
export { InvalidJobPayloadError, parseJobData } from './definition/job-payload.js';
export { JobRuntime } from './runtime/job-runtime.js';
export { SERVICE_UNAVAILABLE_PAUSE_MS } from './runtime/job-processor.js';
export { stalledCheckInterval } from './runtime/queue-worker.js';
export { bullConnection, createClusterClient, createRedisClient, redisOptionsFromUrl } from './redis/redis-connection.js';
export { redisDependency } from './redis/redis-dependency.js';
export { RedisHealthIndicator } from './redis/redis-health.indicator.js';
