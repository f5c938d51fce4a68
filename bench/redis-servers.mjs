// Private Redis servers for a benchmark: a standalone one and a Redis Cluster of masters, each
// `redis-server` with the same settings (no persistence) in a temporary directory, so the two
// differ only in being a cluster. (test/support/redis-cluster.ts is the tests' version.)
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './lib.mjs';

const run = promisify(execFile);

async function ask(port, command) {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await command(client);
  } finally {
    client.disconnect();
  }
}

async function startServers(count, extraArgs) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-redis-'));
  const servers = [];
  const stop = async () => {
    await Promise.all(
      servers.map(async (server) => {
        if (server.exitCode !== null || server.signalCode !== null) return;
        const exited = once(server, 'exit');
        server.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const ports = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
      servers.push(spawn('redis-server', [...args, ...(await extraArgs(port, dir))], { stdio: 'ignore' }));
      await waitFor(`redis-server on port ${port}`, () => ask(port, (client) => client.ping()), 10_000);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, stop };
}

/** One redis-server: `{ url, stop() }`. */
export async function startStandaloneRedis() {
  const { ports, stop } = await startServers(1, async () => []);
  return { url: `redis://127.0.0.1:${ports[0]}`, stop };
}

/** A Redis Cluster of `masters` masters (no replicas): `{ nodes: [url], stop() }`, ready when every node says cluster_state:ok. */
export async function startRedisCluster(masters = 3) {
  // The bus port is set: the default, port + 10000, can lie beyond 65535 for an ephemeral port.
  const cluster = await startServers(masters, async (port, dir) => [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-port',
    String(await freePort()),
  ]);
  try {
    const addresses = cluster.ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor('the Redis Cluster to report cluster_state:ok on every node', async () => {
      const states = await Promise.all(cluster.ports.map((port) => ask(port, (client) => client.call('CLUSTER', 'INFO'))));
      return states.every((info) => /^cluster_state:ok/m.test(String(info)));
    });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return { nodes: cluster.ports.map((port) => `redis://127.0.0.1:${port}`), stop: cluster.stop };
}
