import { createServer, type Server } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { Metrics } from '@herald/observability';
import { WorkerHealth } from './worker-health.js';

/** The worker's small HTTP port: /health/live, /health/ready and /metrics (no web framework needed). */
export function startHealthServer(app: INestApplicationContext, port: number): Promise<Server> {
  const health = app.get(WorkerHealth);
  const metrics = app.get(Metrics);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { status: 'error', message: 'method not allowed' });
    if (path === '/health/live') return reply(200, { status: 'ok' });
    if (path === '/metrics') {
      metrics
        .render()
        .then(({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
        })
        .catch(() => reply(500, { status: 'error', message: 'metrics unavailable' }));
      return;
    }
    if (path === '/health/ready') {
      health
        .ready()
        .then((result) => reply(200, result))
        .catch((error: { response?: unknown }) => reply(503, error.response ?? { status: 'error' }));
      return;
    }
    reply(404, { status: 'error', message: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}
