import { createServer, type Server } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from '@herald/jobs';
import { OutboxRelay } from '@herald/events';
import { QueueWorkers } from './queue-workers.js';

/**
 * The worker's small HTTP port: /health/live and /health/ready. Ready means
 * Postgres and Redis answer AND the BullMQ workers are actually running.
 */
export function startHealthServer(app: INestApplicationContext, port: number): Promise<Server> {
  const health = app.get(HealthCheckService);
  const database = app.get(TypeOrmHealthIndicator);
  const redis = app.get(RedisHealthIndicator);
  const workers = app.get(QueueWorkers);
  const relay = app.get(OutboxRelay);

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { status: 'error', message: 'method not allowed' });
    if (path === '/health/live') return reply(200, { status: 'ok' });
    if (path === '/health/ready') {
      health
        .check([
          () => database.pingCheck('postgres', { timeout: 1000 }),
          () => redis.pingCheck('redis'),
          () => ({ workers: { status: workers.allRunning ? 'up' : 'down' } }),
          () => ({ relay: { status: relay.isRunning ? 'up' : 'down' } }),
        ])
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
