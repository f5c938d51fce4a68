import { Module } from '@nestjs/common';
import { MetricsModule } from '@herald/observability';
import { Mailer } from './mailer.js';

@Module({ imports: [MetricsModule], providers: [Mailer], exports: [Mailer] })
export class MailModule {}
