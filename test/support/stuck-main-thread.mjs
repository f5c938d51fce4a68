// Preloaded (NODE_OPTIONS=--import) by a fault test into the processes of a launcher: in the worker
// app only, it makes the main thread stuck for good at one moment, as pino's exit flush once did on a
// pipe whose reader had died (issue 22: a synchronous retry loop, the main thread in a futex wait,
// signal handlers and timers never run again). The apps themselves carry no fault hooks.
//   HERALD_TEST_STUCK=at-exit              in process.exit, after the graceful stop ran
//   HERALD_TEST_STUCK=when-launcher-gone   as the launcher's IPC channel closes, before the app sees it
//   HERALD_TEST_STUCK=on-sigterm           as SIGTERM arrives, before the app's own handler runs
const isWorker = (process.argv[1] ?? '').endsWith('/apps/worker/src/main.js');
const stuck = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);

if (isWorker && process.env.HERALD_TEST_STUCK === 'at-exit') process.prependListener('exit', stuck);
if (isWorker && process.env.HERALD_TEST_STUCK === 'when-launcher-gone') process.prependListener('disconnect', stuck);
if (isWorker && process.env.HERALD_TEST_STUCK === 'on-sigterm') process.prependListener('SIGTERM', stuck);
