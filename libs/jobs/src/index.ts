export {
  defineJob,
  defineQueue,
  InvalidJobPayloadError,
  parseJobData,
  type AnyJobDefinition,
  type JobData,
  type JobDefinition,
  type QueueDefinition,
} from './job-definition.js';
export { EFFECT_PERFORMED_AT, jobContext, type JobContext } from './job-context.js';
export { JobHandler, type BoundJobHandler, type HandledJob, type JobHandlerDescriptor, type JobHandlerMethod } from './job-handler.js';
export { defaultJobOptions } from './job-options.js';
export { EnqueueTimeoutError, JobProducer } from './job-producer.js';
export {
  assertHandlersMatchJobs,
  JobHandlerRegistryError,
  JobRuntime,
  SERVICE_UNAVAILABLE_PAUSE_MS,
  stalledCheckInterval,
} from './job-runtime.js';
export { JobsModule } from './jobs.module.js';
export { EventRetentionJob, PruneEvents, retentionEveryMs } from './event-retention.job.js';
export {
  defineScheduledJob,
  isScheduledJob,
  MaintenanceQueue,
  type ScheduledJobContext,
  type ScheduledJobDefinition,
} from './scheduled-job.js';
export { bullConnection, createClusterClient, createRedisClient, redisOptionsFromUrl } from './redis-connection.js';
export { redisDependency } from './redis-dependency.js';
export { RedisHealthIndicator } from './redis-health.indicator.js';
