import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { Correlation } from '@herald/observability';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Gives every request a correlation id (from X-Request-Id when it is safe, or
 * a new one), returns it in the response header, runs the rest of the request
 * in that scope, and logs the request when it ends.
 */
export function correlationMiddleware(logger: Logger) {
  const httpLogger = pinoHttp({
    logger,
    genReqId: (req) => (req as Request & { correlationId?: string }).correlationId ?? Correlation.fromHeader(undefined),
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const correlationId = Correlation.fromHeader(req.headers[REQUEST_ID_HEADER]);
    (req as Request & { correlationId?: string }).correlationId = correlationId;
    res.setHeader('X-Request-Id', correlationId);
    Correlation.run({ correlationId, causationId: correlationId }, () => httpLogger(req, res, next));
  };
}
