import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One replay of committed events (ops CLI `outbox:replay`), kept so that
 * running the same replay again continues it instead of starting over: the
 * same bounds (an open `until` is fixed at the first run) and the cursor
 * after the last event delivered. A reprocess clears the inbox records of
 * each step's events just before that step queues their jobs, never those of
 * events a run has not reached (they would lose their "done" record) nor of
 * events behind the cursor (that would send their emails a second time).
 */
@Entity({ name: 'outbox_replays' })
export class OutboxReplayRecord {
  /** Part of every job id of the replay (`<reaction>.<eventId>.r<replayId>`). */
  @PrimaryColumn({ name: 'replay_id', type: 'varchar', length: 40, primaryKeyConstraintName: 'outbox_replays_pkey' })
  replayId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 200 })
  eventType!: string;

  /** The one reaction replayed; null: every reaction to the event type. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  reaction!: string | null;

  @Column({ type: 'timestamptz' })
  since!: Date;

  @Column({ type: 'timestamptz' })
  until!: Date;

  /** Whether the replay clears the reactions' inbox records of the range, so they act once more. */
  @Column({ type: 'boolean', default: false })
  reprocess!: boolean;

  /** When a step of the replay last deleted inbox records. */
  @Column({ name: 'inbox_cleared_at', type: 'timestamptz', nullable: true })
  inboxClearedAt!: Date | null;

  /** Inbox records deleted by all its runs together, per reaction. */
  @Column({ name: 'inbox_cleared', type: 'jsonb', nullable: true })
  inboxCleared!: Record<string, number> | null;

  /** After the last event delivered (`<occurredAt ISO, to the microsecond>/<eventId>`); null: none yet. */
  @Column({ type: 'varchar', length: 80, nullable: true })
  cursor!: string | null;

  @Column({ type: 'integer', default: 0 })
  runs!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_run_at', type: 'timestamptz', nullable: true })
  lastRunAt!: Date | null;
}
