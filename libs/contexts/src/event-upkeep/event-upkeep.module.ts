import { Module } from '@nestjs/common';
import { EventRetentionJob } from './event-retention.job.js';

/**
 * The event platform's scheduled upkeep (its tables' retention), composed by
 * every app like a context, so its job and its `maintenance` queue are in the
 * job registry of the API (Bull Board, metrics), the worker and the CLI.
 * Needs EventsModule and JobsModule.
 */
@Module({ providers: [EventRetentionJob] })
export class EventUpkeepModule {}
