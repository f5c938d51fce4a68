import type { z } from 'zod';

export class InvalidJobPayloadError extends Error {
  constructor(
    readonly jobName: string,
    readonly problems: string[],
  ) {
    super(`Invalid payload for job "${jobName}": ${problems.join('; ')}`);
    this.name = 'InvalidJobPayloadError';
  }
}

/**
 * Validates job data read back from Redis through the job's schema; throws
 * InvalidJobPayloadError with a clear reason. The result is the schema's own
 * output type: no cast between Redis and a handler.
 */
export function parseJobData<S extends z.ZodType>(job: { readonly name: string; readonly schema: S }, data: unknown): z.output<S> {
  const result = job.schema.safeParse(data);
  if (!result.success) {
    throw new InvalidJobPayloadError(
      job.name,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(data)'}: ${issue.message}`),
    );
  }
  return result.data;
}
