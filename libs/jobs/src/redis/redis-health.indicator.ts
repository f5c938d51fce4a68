import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { JobProducer } from '../producer/job-producer.js';

/** Redis as the queues see it: a read in the queues' hash slot over the producer's own connection. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly producer: JobProducer,
  ) {}

  pingCheck(key = 'redis', timeoutMs = 1000) {
    return this.health
      .check(key)
      .attempt(async () => {
        await this.producer.ping();
      })
      .withTimeout(timeoutMs);
  }
}
