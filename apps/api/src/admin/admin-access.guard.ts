import { type CanActivate, type ExecutionContext, Injectable, Logger, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { HeraldConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import { ProblemException } from '../http/problem.exception.js';
import { RateLimiterStore } from '../http/rate-limiter-store.js';
import { AdminAccess, type AdminAccessLog, type AdminArea } from './admin-access.js';

const AREA = Symbol('admin-area');

/** Names the admin area a controller serves (its name in 401 answers, its label on the failure metric). */
export const AdminAreaOf = (area: AdminArea) => SetMetadata(AREA, area);

/**
 * The admin rules (AdminAccess: failure throttle, HTTP Basic, read-only,
 * same-origin writes) as a Nest guard, for controllers marked @AdminAreaOf.
 * Without ADMIN_USER/ADMIN_PASSWORD every route answers 404: the area is not
 * served at all, as if it did not exist.
 */
@Injectable()
export class AdminAccessGuard implements CanActivate {
  private readonly accessByArea = new Map<string, AdminAccess | null>();
  private readonly log: AdminAccessLog;

  constructor(
    private readonly reflector: Reflector,
    private readonly config: HeraldConfig,
    private readonly store: RateLimiterStore,
    private readonly metrics: Metrics,
  ) {
    const logger = new Logger(AdminAccessGuard.name);
    this.log = { warn: (fields, message) => logger.warn({ msg: message, ...fields }) };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const area = this.reflector.get<AdminArea | undefined>(AREA, context.getClass());
    if (!area) throw new Error(`${context.getClass().name} uses AdminAccessGuard without @AdminAreaOf`);
    const request = context.switchToHttp().getRequest<Request>();
    const access = this.accessFor(area);
    if (!access) throw new ProblemException('NOT_FOUND', `Cannot ${request.method} ${request.path}`);
    await access.check(request);
    return true;
  }

  private accessFor(area: AdminArea): AdminAccess | null {
    if (!this.accessByArea.has(area.label)) {
      this.accessByArea.set(area.label, AdminAccess.of(this.config, area, { store: this.store, metrics: this.metrics, logger: this.log }));
    }
    return this.accessByArea.get(area.label)!;
  }
}
