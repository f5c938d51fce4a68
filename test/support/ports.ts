import { createServer } from 'node:net';

/**
 * Ports for the processes a test starts (API, worker, private Redis/Postgres).
 *
 * Asking the OS for a free port (listen on 0) and releasing it is a race: in
 * the moment before our process binds it, the OS can hand the same port to
 * another test (every `listen(0)` draws from the ephemeral range), and a test
 * would then talk to someone else's server. So ports come from a range below
 * the ephemeral one (32768+), a separate block for each Jest worker, and are
 * checked to be free before use. TEST_PORT_BLOCK shifts the blocks, so two
 * test runs on one machine (two checkouts) do not share them.
 */
const BLOCK = 750;
const BLOCKS = 16; // 20000 + 16 × 750 stays below the ephemeral range
const block = (Number(process.env.JEST_WORKER_ID ?? '1') - 1 + Number(process.env.TEST_PORT_BLOCK ?? '0')) % BLOCKS;
const first = 20_000 + block * BLOCK;
let next = Math.floor(Math.random() * BLOCK);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port in this Jest worker's block that is free now and handed out once per process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = first + (next++ % BLOCK);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${first}-${first + BLOCK - 1}`);
}
