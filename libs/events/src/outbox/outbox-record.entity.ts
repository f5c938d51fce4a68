import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const OutboxStatus = { Pending: 'pending', Dispatched: 'dispatched', Dead: 'dead' } as const;
export type OutboxStatus = (typeof OutboxStatus)[keyof typeof OutboxStatus];

/**
 * One committed domain event. Written in the same transaction as the change
 * that caused it; `pending` until every reaction's job was acknowledged by the job sink.
 */
@Entity({ name: 'outbox' })
@Check('outbox_status_check', `"status" IN ('pending', 'dispatched', 'dead')`)
@Index('outbox_pending_available_idx', ['availableAt'], { where: `"status" = 'pending'` })
@Index('outbox_dispatched_at_idx', ['dispatchedAt'], { where: `"status" = 'dispatched'` })
// Dead rows are few: counting them every scrape must not read the whole table.
@Index('outbox_dead_created_at_idx', ['createdAt'], { where: `"status" = 'dead'` })
// The oldest pending row's age (a gauge, read every scrape) is this index's first entry.
@Index('outbox_pending_created_at_idx', ['createdAt'], { where: `"status" = 'pending'` })
// outbox:replay reads one event type's rows by time.
@Index('outbox_event_type_occurred_at_idx', ['eventType', 'occurredAt', 'id'])
export class OutboxRecord {
  /** The event id (UUIDv7). */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 200 })
  eventType!: string;

  @Column({ name: 'schema_version', type: 'integer' })
  schemaVersion!: number;

  @Column({ name: 'aggregate_id', type: 'uuid' })
  aggregateId!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'correlation_id', type: 'varchar', length: 128 })
  correlationId!: string;

  @Column({ name: 'causation_id', type: 'varchar', length: 128, nullable: true })
  causationId!: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  /** W3C trace context of the work that recorded the event; null when it was not traced. */
  @Column({ type: 'varchar', length: 55, nullable: true })
  traceparent!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 16, default: OutboxStatus.Pending })
  status!: OutboxStatus;

  /** Relay delivery attempts so far (the in-request dispatch is not counted). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** Earliest time the relay may (re)try this row: grace period, lease, or backoff. */
  @Column({ name: 'available_at', type: 'timestamptz' })
  availableAt!: Date;

  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
