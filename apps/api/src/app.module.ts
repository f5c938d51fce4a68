import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { HERALD_MODULES } from '@herald/contexts';
import { DatabaseModule } from '@herald/database';
import { EventsModule } from '@herald/events';
import { JobsModule } from '@herald/jobs';
import { MetricsModule } from '@herald/observability';
import { OutboxConsoleController } from './admin/index.js';
import { AuthController } from './auth/auth.controller.js';
import { LOGIN_LIMITS, LoginThrottle } from './auth/login-throttle.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { RATE_LIMITS, RateLimitGuard } from './http/rate-limit.js';
import { RateLimiterStore } from './http/rate-limiter-store.js';
import { ResetPasswordPageController } from './pages/reset-password-page.controller.js';
import { VerifyEmailPageController } from './pages/verify-email-page.controller.js';
import { UsersController } from './users/users.controller.js';

/** The HTTP API: produces events and jobs, never consumes jobs. */
@Module({})
export class AppModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule.forRoot('herald-api'),
        EventsModule.forRoot({ relay: false }),
        JobsModule.forRoot({ runtime: false }),
        ...HERALD_MODULES,
        TerminusModule,
      ],
      controllers: [
        UsersController,
        AuthController,
        HealthController,
        VerifyEmailPageController,
        ResetPasswordPageController,
        MetricsController,
        OutboxConsoleController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        RateLimiterStore,
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: LOGIN_LIMITS, useValue: RATE_LIMITS.login },
        LoginThrottle,
      ],
    };
  }
}
