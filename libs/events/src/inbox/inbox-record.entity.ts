import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const InboxStatus = { Claimed: 'claimed', Done: 'done' } as const;
export type InboxStatus = (typeof InboxStatus)[keyof typeof InboxStatus];

/**
 * What a consumer has done about an event: one row per (consumer, event).
 * `claimed` while a delivery is under way (its side effect may or may not
 * have happened), `done` once it is recorded as performed (or as needing nothing).
 */
@Entity({ name: 'inbox' })
@Check('inbox_status_check', `"status" IN ('claimed', 'done')`)
@Index('inbox_done_completed_at_idx', ['completedAt'], { where: `"status" = 'done'` })
export class InboxRecord {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  consumer!: string;

  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'varchar', length: 16, default: InboxStatus.Claimed })
  status!: InboxStatus;

  /** Who holds the claim (a job id): the same claimant may take its unfinished claim over at once. */
  @Column({ name: 'claimed_by', type: 'varchar', length: 200, nullable: true })
  claimedBy!: string | null;

  /** Until when another claimant must leave the claim alone (its holder may still be at work). */
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;

  /** Claims so far: more than one means the side effect may have been attempted more than once. */
  @Column({ type: 'integer', default: 1 })
  attempts!: number;

  @Column({ name: 'claimed_at', type: 'timestamptz', default: () => 'now()' })
  claimedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
