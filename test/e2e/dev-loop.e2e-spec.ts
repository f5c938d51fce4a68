import { readFileSync, writeFileSync } from 'node:fs';
import { processEnded, processGroupMembers, type DevLoopProcess } from '../support/app-process.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

/** A lib both apps use; the test appends a comment to it and takes it out again. */
const LIB_FILE = 'libs/config/src/index.ts';
const PROBE = '// dev-loop.e2e-spec: appended to see start:dev restart the apps; the test removes it\n';

/** The file as committed: without the probe, also when a run that was killed left it behind. */
function withoutProbe(): string {
  const text = readFileSync(LIB_FILE, 'utf8');
  const clean = text.split(PROBE).join('');
  if (clean !== text) writeFileSync(LIB_FILE, clean);
  return clean;
}

/** `npm run start:dev`: API and worker in watch mode, restarted on a change to a lib, stopped together by Ctrl-C. */
describe('npm run start:dev', () => {
  const stack = new Stack();
  let original: string;

  beforeAll(async () => {
    original = withoutProbe();
    await stack.start();
  });
  afterAll(async () => {
    writeFileSync(LIB_FILE, original);
    await stack.stop();
  });

  it('restarts the API and the worker when a lib file changes, and Ctrl-C stops every process it started', async () => {
    const dev: DevLoopProcess = stack.devLoop({ LOG_FORMAT: 'json' });
    try {
      // Builds the CLI, migrates, then compiles both apps: minutes on a busy machine.
      await dev.startAndWaitReady(240_000);
      const [api] = dev.readyPids('api');
      const [worker] = dev.readyPids('worker');
      expect(api).toBeDefined();
      expect(worker).toBeDefined();

      writeFileSync(LIB_FILE, original + PROBE);
      const restarted = await waitFor(
        'a new API and a new worker process',
        () => {
          const [apiPids, workerPids] = [dev.readyPids('api'), dev.readyPids('worker')];
          return apiPids.length > 1 && workerPids.length > 1 ? { api: apiPids.at(-1)!, worker: workerPids.at(-1)! } : null;
        },
        120_000,
        200,
      );
      expect(restarted.api).not.toBe(api);
      expect(restarted.worker).not.toBe(worker);
      await dev.waitReady(60_000); // the new processes answer
      expect(processEnded(api!)).toBe(true);
      expect(processEnded(worker!)).toBe(true);

      // Ctrl-C in a terminal: SIGINT to the launcher's whole process group.
      dev.signalGroup('SIGINT');
      await waitFor('start:dev to exit', () => dev.exited, 30_000, 100);
      expect(await dev.waitExit()).toEqual({ code: 0, signal: null });
      const nestClis = (['api', 'worker'] as const).map((app) => dev.appPid(app)!);
      for (const pid of [dev.pid!, ...nestClis, ...dev.readyPids('api'), ...dev.readyPids('worker')]) {
        expect({ pid, ended: processEnded(pid) }).toEqual({ pid, ended: true });
      }
      for (const pgid of [dev.pid!, ...nestClis]) expect({ pgid, members: processGroupMembers(pgid) }).toEqual({ pgid, members: [] });
      expect(dev.own()).toEqual(expect.arrayContaining(['[run-all] api exited (0)', '[run-all] worker exited (0)']));
    } finally {
      // Restored before anything else can fail, so the tree is never left with the probe.
      writeFileSync(LIB_FILE, original);
      dev.kill(); // whatever is left, if an expectation failed
    }
  }, 420_000);

  it('leaves no process behind when the launcher itself is killed (kill -9)', async () => {
    const dev: DevLoopProcess = stack.devLoop({ LOG_FORMAT: 'json' });
    try {
      await dev.startAndWaitReady(240_000);
      const nestClis = (['api', 'worker'] as const).map((app) => dev.appPid(app)!);
      const apps = [...dev.readyPids('api'), ...dev.readyPids('worker')];

      process.kill(dev.pid!, 'SIGKILL'); // the launcher alone: nothing gets to pass a signal on
      expect(await dev.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
      // Each Nest CLI sees its IPC channel close, stops its app and exits.
      await waitFor(
        'the Nest CLIs and their apps to stop',
        () => nestClis.every((pgid) => processGroupMembers(pgid).length === 0),
        30_000,
        100,
      );
      for (const pid of [...nestClis, ...apps]) expect({ pid, ended: processEnded(pid) }).toEqual({ pid, ended: true });
    } finally {
      dev.kill();
    }
  }, 360_000);
});
