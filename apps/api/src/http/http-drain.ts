import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { Correlation } from '@herald/observability';
import type { ProblemCode } from './problem-codes.js';
import { problem } from './problem-details.filter.js';

/**
 * The HTTP side of a graceful stop. Once draining, the API refuses new work
 * but keeps answering: every request that arrives gets 503 problem+json
 * `SHUTTING_DOWN` (with `Retry-After` and `Connection: close`, so clients and
 * load balancers go elsewhere), while the requests admitted before run to the
 * end (their answers close the connection too). The listener stays open until
 * the last admitted request is answered, because closing it would reset the
 * connections waiting in its backlog: requests sent, never answered. Then it
 * closes, with the idle connections; from then on, connecting is refused.
 */
export class HttpDrain {
  private draining = false;
  private readonly admitted = new Set<Response>();
  private allAnswered?: () => void;

  /** Express middleware; mount it before anything that does work for a request. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (this.draining) {
        this.refuse(req, res);
        return;
      }
      this.admitted.add(res);
      res.once('close', () => {
        this.admitted.delete(res);
        if (this.admitted.size === 0) this.allAnswered?.();
      });
      next();
    };
  }

  /** Refuses new requests, waits until the admitted ones are answered, then closes `server`. */
  async drain(server: Server): Promise<void> {
    this.draining = true;
    for (const res of this.admitted) if (!res.headersSent) res.setHeader('Connection', 'close');
    if (this.admitted.size > 0) await new Promise<void>((resolve) => (this.allAnswered = resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private refuse(req: Request, res: Response): void {
    const body = problem(503, 'SHUTTING_DOWN' satisfies ProblemCode, 'This instance is shutting down; send the request again.', {
      instance: req.originalUrl.split('?')[0],
      correlationId: Correlation.id(),
    });
    res.status(503).set({ 'Retry-After': '1', Connection: 'close' }).type('application/problem+json').json(body);
  }
}
