export {
  JobName,
  QueueName,
  InvalidJobPayloadError,
  deriveJobId,
  isJobName,
  jobPayloadSchemas,
  jobQueue,
  parseJob,
  type AnyJob,
  type JobOf,
  type JobPayload,
} from './job-contract.js';
export { defaultJobOptions } from './job-options.js';
export { EnqueueTimeoutError, JobProducer, type JobToEnqueue } from './job-producer.js';
export { JobsModule } from './jobs.module.js';
export { bullConnection, createClusterClient, createRedisClient, redisOptionsFromUrl } from './redis-connection.js';
export { RedisHealthIndicator } from './redis-health.indicator.js';
export { assertEveryJobHasOneHandler, MissingJobHandlerError, type JobHandler, type QueueProcessor } from './job-handlers.js';
export { EFFECT_PERFORMED_AT, jobContext, type JobContext } from './job-context.js';
