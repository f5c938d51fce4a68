import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ConfigValidationError, loadConfig, type HeraldConfig } from '@herald/config';
import { isServiceUnavailable } from '@herald/observability';
import { dataSourceOptions } from '@herald/database';
import { OutboxQueries, OutboxRepairs, OutboxReplay, pruneDispatchedOutbox, type JobSink, type PruneResult } from '@herald/events';
import { createRedisClient } from '@herald/jobs';
import { CliError, DependencyUnavailableError, reasonOf } from './cli-errors.js';
import { catalog, QUEUE_NAMES } from './contexts.js';

/** Bounds on connecting: a CLI reports an outage within seconds, it does not wait it out. */
const CONNECT_TIMEOUT_MS = 3000;
/** Longest single Redis command; the CLI's own Redis work is done in small batches. */
const COMMAND_TIMEOUT_MS = 15_000;

/**
 * What one invocation connects to, opened on first use and closed at the end.
 *
 * Plain classes, not a Nest application context: a context would connect to
 * Postgres AND Redis before any command ran (so `queues:stats` would fail
 * while only Postgres is down, exactly when an operator needs it), and its
 * modules (BullModule, TypeOrmModule) reconnect and retry in the background,
 * which is right for the apps but makes a CLI hang. Here each command opens
 * only what it uses, with short timeouts, no reconnects and no offline queue,
 * and a failure names the service. Nothing else of Nest (DI, lifecycle hooks)
 * would be used by a process that lives for one command.
 */
export class CliContext {
  private redis?: Redis | Cluster;
  private queueMap?: Map<string, Queue>;
  private dataSource?: DataSource;

  private constructor(readonly config: HeraldConfig) {}

  /** Validates the environment (the same schema as the apps) without connecting to anything. */
  static fromEnvironment(): CliContext {
    try {
      return new CliContext(loadConfig());
    } catch (error) {
      if (error instanceof ConfigValidationError) throw new CliError(`invalid configuration: ${error.problems.join('; ')}`);
      throw error;
    }
  }

  /** One BullMQ Queue per queue of the contexts' jobs, sharing one Redis connection. */
  async queues(): Promise<Map<string, Queue>> {
    if (this.queueMap) return this.queueMap;
    const { url, queuePrefix } = this.config.redis;
    const redis = createRedisClient(this.config.redis, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectionName: 'herald-cli',
    });
    // Failures reach the caller through rejected commands; without a listener ioredis would also print them.
    // The event carries the cause (ECONNREFUSED...); a failed connect() only says the connection closed.
    let lastError: unknown;
    redis.on('error', (error) => (lastError = error));
    try {
      await withDeadline(redis.connect(), CONNECT_TIMEOUT_MS + 1000);
    } catch (error) {
      redis.disconnect();
      throw new DependencyUnavailableError('Redis', 'REDIS_URL', url, reasonOf(lastError ?? error));
    }
    this.redis = redis;
    this.queueMap = new Map(
      QUEUE_NAMES.map((name) => {
        const queue = new Queue(name, { connection: redis, prefix: queuePrefix });
        queue.on('error', () => undefined);
        return [name, queue] as const;
      }),
    );
    return this.queueMap;
  }

  /** What operators read of the outbox. */
  async outboxQueries(): Promise<OutboxQueries> {
    return new OutboxQueries(await this.database());
  }

  /** What operators do to outbox rows (requeue, redeliver). */
  async outboxRepairs(): Promise<OutboxRepairs> {
    return new OutboxRepairs(await this.database());
  }

  /** Deletes dispatched outbox rows older than `olderThanMs`, in the scheduled retention's batches. */
  async pruneOutbox(olderThanMs: number): Promise<PruneResult> {
    return pruneDispatchedOutbox(await this.database(), olderThanMs, this.config.retention.batchSize);
  }

  /** outbox:replay over this database (the outbox, the replays' table, the inbox records a reprocess clears). */
  async outboxReplay(sink: JobSink): Promise<OutboxReplay> {
    return OutboxReplay.over(await this.database(), catalog, sink);
  }

  /** Whether a job exists in a queue, in any state: one EXISTS, not a read of the whole job. */
  async jobExists(queueName: string, jobId: string): Promise<boolean> {
    const queue = (await this.queues()).get(queueName);
    if (!queue) throw new CliError(`unknown queue "${queueName}"`);
    return (await this.redis!.exists(queue.toKey(jobId))) === 1;
  }

  private async database(): Promise<DataSource> {
    if (!this.dataSource) {
      const { url } = this.config.database;
      const base = dataSourceOptions(this.config, { applicationName: 'herald-cli' });
      const dataSource = new DataSource({ ...base, migrations: [], extra: { max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS } });
      try {
        await withDeadline(dataSource.initialize(), CONNECT_TIMEOUT_MS + 1000);
      } catch (error) {
        await dataSource.destroy().catch(() => undefined);
        throw new DependencyUnavailableError('Postgres', 'DATABASE_URL', url, reasonOf(error));
      }
      this.dataSource = dataSource;
    }
    return this.dataSource;
  }

  /**
   * Turns an error from the middle of a command into one that names the
   * service, when that service is what went away.
   */
  explain(error: unknown): unknown {
    if (error instanceof CliError) return error;
    if (this.redis && this.redis.status !== 'ready') {
      return new DependencyUnavailableError('Redis', 'REDIS_URL', this.config.redis.url, reasonOf(error));
    }
    if (this.dataSource && isServiceUnavailable(error)) {
      return new DependencyUnavailableError('Postgres', 'DATABASE_URL', this.config.database.url, reasonOf(error));
    }
    return error;
  }

  async close(): Promise<void> {
    for (const queue of this.queueMap?.values() ?? []) await queue.close().catch(() => undefined);
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
    if (this.dataSource?.isInitialized) await this.dataSource.destroy().catch(() => undefined);
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one command with its own connections, closed however it ends. */
export async function withContext(work: (context: CliContext) => Promise<void>): Promise<void> {
  const context = CliContext.fromEnvironment();
  try {
    await work(context);
  } catch (error) {
    throw context.explain(error);
  } finally {
    await context.close();
  }
}
