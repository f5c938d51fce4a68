import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from '@herald/jobs';
import { ApiProblems } from '../openapi/index.js';
import { HEALTH_OK_SCHEMA } from './health-result.schema.js';

/**
 * Terminus documents its 503 as a check result in application/json, but the
 * problem filter answers it as problem+json (SERVICE_UNAVAILABLE); so its own
 * documentation is off and the answers are declared here.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** The process is up (no dependency checks: a restart would not fix them). */
  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ description: 'The process is up', schema: HEALTH_OK_SCHEMA })
  @ApiProblems()
  live() {
    return this.health.check([]);
  }

  /** Postgres and Redis answer: the API can take traffic. 503 otherwise. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ description: 'Postgres and Redis answer', schema: HEALTH_OK_SCHEMA })
  @ApiProblems()
  ready() {
    return this.health.check([() => this.database.pingCheck('postgres', { timeout: 1000 }), () => this.redis.pingCheck('redis')]);
  }
}
