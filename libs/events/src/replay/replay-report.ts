/** One delivery of a replay, as a dry run lists it. */
export interface ReplayDelivery {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly reaction: string;
  readonly jobId: string;
  /** The job exists already (an earlier run of this replay added it). */
  readonly alreadyQueued: boolean;
  /** Its reaction mints and mails a credential (a live verification or reset link). */
  readonly mintsCredentials: boolean;
}

/** What a run of a replay did (dry: would do), as OutboxReplay.run reports it and the ops CLI prints it. */
export interface ReplayReport {
  readonly replayId: string;
  readonly dryRun: boolean;
  readonly eventType: string;
  readonly reactions: string[];
  readonly since: string;
  readonly until: string;
  readonly reprocess: boolean;
  /** A run of a replay recorded before (its bounds and cursor were taken from the record). */
  readonly resumed: boolean;
  /** Where this run started: after this cursor (the last run's, or --after), or null at the start of the range. */
  readonly startedAfter: string | null;
  /** After this run (dry: after such a run), the cursor of the last event looked at: the next run continues after it. */
  readonly cursor: string | null;
  /** Rows of the range not replayed: pending ones (the relay delivers them) and dead ones (outbox:requeue). */
  readonly skipped: { readonly pending: number; readonly dead: number };
  /** With --reprocess: the inbox records of this run's deliveries deleted now (dry: that would be). */
  readonly inbox: {
    readonly deleted: Record<string, number>;
    /** Records of deliveries under way, left alone. */
    readonly inProgress: Record<string, number>;
    /** Deleted by the earlier runs of this replay, per reaction. */
    readonly deletedEarlier: Record<string, number>;
  } | null;
  /** Dispatched events of the range looked at in this run. */
  readonly events: number;
  readonly jobs: {
    readonly added: number;
    readonly alreadyQueued: number;
    readonly byReaction: Record<string, { added: number; alreadyQueued: number }>;
  };
  /**
   * Reactions of this replay that mint credentials, and the jobs of theirs
   * this run added (dry: would add): each mails a new, working link.
   */
  readonly credentials: { readonly reactions: string[]; readonly deliveries: number };
  /** Dry run only: every delivery it would make. */
  readonly deliveries?: ReplayDelivery[];
  readonly failed: { eventId: string; reaction: string; error: string }[];
  /** false when --limit stopped the run before the end of the range: run it again to continue. */
  readonly complete: boolean;
}
