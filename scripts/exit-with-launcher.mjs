// Preloaded (`node --import`) into the Nest CLI that scripts/run-all.mjs starts
// in watch mode. The herald apps stop on their own when the launcher's IPC
// channel closes (installGracefulShutdown); the CLI does not, and its app is
// its own child with no channel to the launcher. So when the launcher is gone
// — even killed with SIGKILL — the CLI gets the SIGTERM it would have sent:
// the CLI forwards it to the app and exits once the app has stopped.
if (typeof process.send === 'function') {
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
