import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

/** One answer from a single node (its own connection, no cluster routing), or null when it does not answer. */
async function ask<T>(port: number, command: (client: Redis) => Promise<T>): Promise<T | null> {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await command(client);
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

/**
 * A private Redis Cluster of masters only (no replicas), each a `redis-server`
 * on a spare port with its files in a temporary directory. Never the shared
 * Redis. A node can be killed and started again on the same port with the same
 * nodes file, which makes it rejoin the cluster with its slots.
 */
export class PrivateRedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'herald-redis-cluster-'));
  readonly ports: number[] = [];
  private readonly nodes = new Map<number, ChildProcess>();
  /** Each node's cluster bus port, also from this worker's block (the default, port + 10000, would not be). */
  private readonly busPorts = new Map<number, number>();

  /**
   * @param nodeTimeoutMs cluster-node-timeout: how long the other masters wait
   *   before they declare a silent node failed. Short, so a test sees the whole
   *   story (cluster down, then back) within seconds.
   */
  constructor(
    private readonly masters = 3,
    private readonly nodeTimeoutMs = 2000,
  ) {}

  /** REDIS_CLUSTER_NODES for the apps. */
  get nodesVariable(): string {
    return this.ports.map((port) => `redis://127.0.0.1:${port}`).join(',');
  }

  async start(): Promise<this> {
    for (let i = 0; i < this.masters; i++) {
      const port = await freePort();
      this.ports.push(port);
      this.busPorts.set(port, await freePort());
    }
    await Promise.all(this.ports.map((port) => this.startNode(port)));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await this.waitUntilOk();
    return this;
  }

  /** Until every running node says `cluster_state:ok` (all slots served, every node agrees). */
  async waitUntilOk(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'every Redis Cluster node to report cluster_state:ok',
      async () => [...(await this.states()).values()].every((state) => state === 'ok'),
      timeoutMs,
      100,
    );
  }

  /** `cluster_state` as each running node reports it (`ok` or `fail`), by port; null for a node that does not answer. */
  async states(): Promise<Map<number, string | null>> {
    const running = this.ports.filter((port) => this.isRunning(port));
    const states = await Promise.all(
      running.map((port) =>
        ask(port, async (client) => {
          const info = String(await client.call('CLUSTER', 'INFO'));
          return /^cluster_state:(\w+)/m.exec(info)?.[1] ?? null;
        }),
      ),
    );
    return new Map(running.map((port, i) => [port, states[i] ?? null]));
  }

  /** The port of the master serving the slot of `key` (a hash tag counts, as for any key). */
  async ownerOf(key: string): Promise<number> {
    const slot = calculateSlot(key);
    for (const port of this.ports.filter((p) => this.isRunning(p))) {
      const ranges = await ask(port, async (client) => (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]);
      const range = ranges?.find(([first, last]) => slot >= first && slot <= last);
      if (range) return Number(range[2][1]);
    }
    throw new Error(`no node of the cluster serves slot ${slot}`);
  }

  /** How many keys the node on `port` holds in the slot of `key`. */
  async keysInSlotOf(port: number, key: string): Promise<number> {
    const count = await ask(port, async (client) => Number(await client.call('CLUSTER', 'COUNTKEYSINSLOT', String(calculateSlot(key)))));
    if (count === null) throw new Error(`the Redis Cluster node on port ${port} does not answer`);
    return count;
  }

  /** SIGKILL: the abrupt loss of one master (no replica takes over). */
  async kill(port: number): Promise<void> {
    const node = this.nodes.get(port);
    if (!node || !this.isRunning(port)) return;
    const exited = once(node, 'exit');
    node.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed node again on its port with its nodes file: it rejoins with its slots. */
  async restart(port: number): Promise<void> {
    await this.startNode(port);
  }

  /** Kills every node and removes the directory; safe to call after a failed start. */
  async stop(): Promise<void> {
    await Promise.all(this.ports.map((port) => this.kill(port)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private isRunning(port: number): boolean {
    const node = this.nodes.get(port);
    return node !== undefined && node.exitCode === null && node.signalCode === null;
  }

  private async startNode(port: number): Promise<void> {
    const node = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(this.dir, `nodes-${port}.conf`),
        '--cluster-port',
        String(this.busPorts.get(port)),
        '--cluster-node-timeout',
        String(this.nodeTimeoutMs),
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    let failure: Error | undefined;
    node.on('error', (error) => (failure = error));
    this.nodes.set(port, node);
    await waitFor(`the Redis Cluster node on port ${port} to answer`, async () => {
      if (failure) throw failure;
      if (!this.isRunning(port)) throw new Error(`redis-server on port ${port} exited`);
      return (await ask(port, (client) => client.ping())) === 'PONG';
    });
  }
}
