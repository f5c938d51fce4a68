import type { Socket } from 'node:net';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Counts the round trips on one Postgres connection, at its socket: a round
 * trip is a write by the client after it has read something from the server
 * (or its first write), i.e. each time the client had to wait for an answer
 * before it could send more. Messages written together (corked, or queued
 * without waiting) are one round trip however many statements they carry.
 */
export class RoundTripCounter {
  count = 0;
  private waitingForAnswer = false;
  private readonly detachers: (() => void)[] = [];

  watch(socket: Socket): void {
    const write = socket.write;
    socket.write = ((...args: Parameters<Socket['write']>) => {
      if (!this.waitingForAnswer) this.count++;
      this.waitingForAnswer = true;
      return write.apply(socket, args);
    }) as Socket['write'];
    const onData = () => (this.waitingForAnswer = false);
    socket.on('data', onData);
    this.detachers.push(() => {
      socket.write = write;
      socket.off('data', onData);
    });
  }

  stop(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }
}

/**
 * Watches the connection of every query runner the data source creates while
 * `counting` runs (the unit of work takes one per transaction), from the
 * moment it has its connection from the pool: connecting itself is not counted.
 */
export async function countRoundTrips(dataSource: DataSource, counting: () => Promise<unknown>): Promise<number> {
  const counter = new RoundTripCounter();
  const createQueryRunner = dataSource.createQueryRunner;
  dataSource.createQueryRunner = function (this: DataSource, ...args: Parameters<DataSource['createQueryRunner']>): QueryRunner {
    const runner = createQueryRunner.apply(this, args);
    const connect = runner.connect.bind(runner);
    runner.connect = async () => {
      const client = (await connect()) as { connection: { stream: Socket } };
      counter.watch(client.connection.stream);
      return client;
    };
    return runner;
  };
  try {
    await counting();
    return counter.count;
  } finally {
    dataSource.createQueryRunner = createQueryRunner;
    counter.stop();
  }
}
