import { z } from 'zod';

/**
 * Queue names are part of the Redis key space. NEVER rename one: jobs already
 * waiting under the old name would be orphaned. Add a new queue instead.
 */
export const QueueName = {
  Email: 'email',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/**
 * Job names are stored with every job. NEVER rename one (and never derive them
 * from class names): a rename orphans queued jobs.
 */
export const JobName = {
  SendVerificationEmail: 'send-verification-email',
  SendWelcomeEmail: 'send-welcome-email',
  SendAccountExistsNotice: 'send-account-exists-notice',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/**
 * Job data carries ids only: never an email body, a password or a raw token.
 * The worker re-reads what it needs from Postgres.
 */
const emailJobPayload = z.strictObject({
  /** The outbox event that caused the job; also the idempotency key of the consumer. */
  eventId: z.uuid(),
  userId: z.uuid(),
  correlationId: z.string().min(1).max(128),
});

export const jobPayloadSchemas = {
  [JobName.SendVerificationEmail]: emailJobPayload,
  [JobName.SendWelcomeEmail]: emailJobPayload,
  [JobName.SendAccountExistsNotice]: emailJobPayload,
} as const satisfies Record<JobName, z.ZodType>;

/** Which queue serves which job. */
export const jobQueue: Record<JobName, QueueName> = {
  [JobName.SendVerificationEmail]: QueueName.Email,
  [JobName.SendWelcomeEmail]: QueueName.Email,
  [JobName.SendAccountExistsNotice]: QueueName.Email,
};

export type JobPayload<N extends JobName> = z.infer<(typeof jobPayloadSchemas)[N]>;

/** One typed job: `{ name, data }`, checked by the compiler at enqueue and at handling. */
export type JobOf<N extends JobName> = { name: N; data: JobPayload<N> };
export type AnyJob = { [N in JobName]: JobOf<N> }[JobName];

export class InvalidJobPayloadError extends Error {
  constructor(
    readonly jobName: string,
    readonly problems: string[],
  ) {
    super(`Invalid payload for job "${jobName}": ${problems.join('; ')}`);
    this.name = 'InvalidJobPayloadError';
  }
}

export function isJobName(name: string): name is JobName {
  return Object.values(JobName).includes(name as JobName);
}

/** Validates job data read back from Redis; throws InvalidJobPayloadError with a clear reason. */
export function parseJob(name: string, data: unknown): AnyJob {
  if (!isJobName(name)) {
    throw new InvalidJobPayloadError(name, [`unknown job name "${name}"`]);
  }
  const result = jobPayloadSchemas[name].safeParse(data);
  if (!result.success) {
    throw new InvalidJobPayloadError(
      name,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(data)'}: ${issue.message}`),
    );
  }
  return { name, data: result.data } as AnyJob;
}

/**
 * Job ids are derived, never random: the same (event, saga) always gives the
 * same id, so a second enqueue of it is a no-op in BullMQ. BullMQ forbids ':'
 * and pure integers in custom ids.
 */
export function deriveJobId(sagaName: string, eventId: string): string {
  const id = `${sagaName}.${eventId}`;
  if (id.includes(':') || /^\d+$/.test(id)) {
    throw new Error(`Job id "${id}" is not allowed by BullMQ (no ':' and not an integer)`);
  }
  return id;
}
