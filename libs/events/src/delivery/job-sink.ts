/**
 * What the event platform needs to know of a job: its name and its queue.
 * A context's job definitions (libs/jobs `defineJob`) are job targets; the
 * `Input` type is what a reaction must produce for it (its business fields).
 */
export interface JobTarget<Input extends object = object> {
  readonly name: string;
  readonly queue: { readonly name: string };
  /** Type only: the fields a reaction supplies (the platform adds `eventId` and `correlationId`). */
  readonly input?: Input;
}

/** One job for the sink to add: its id is derived from (reaction, event), so a repeat adds nothing. */
export interface SinkJob {
  readonly target: JobTarget;
  readonly jobId: string;
  /** The reaction's fields plus the event's `eventId` and `correlationId`: ids only, never secrets. */
  readonly data: { readonly eventId: string; readonly correlationId: string } & object;
  /** When the job came into being (ms since epoch): its transaction's commit, or the event's time. */
  readonly timestamp: number;
  /** The event's W3C trace context: the job's spans are its children (carried in job options, not in the data). */
  readonly traceparent?: string | null;
}

/**
 * Where the events platform puts jobs (libs/jobs implements it with BullMQ).
 * `enqueue` resolves only once every job is durably accepted, and rejects
 * within a bounded time when it cannot be.
 */
export interface JobSink {
  enqueue(jobs: readonly SinkJob[]): Promise<void>;
  /** Whether a job with this id exists, in any state. */
  exists(target: JobTarget, jobId: string): Promise<boolean>;
}

/** DI token of the JobSink (provided by JobsModule). */
export const JOB_SINK = Symbol('JOB_SINK');
