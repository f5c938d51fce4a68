// Runs the built API and worker side by side, prefixes their output, and stops
// both (SIGTERM, so active jobs finish) when either exits or on Ctrl-C.
import { spawn } from 'node:child_process';

const apps = {
  api: 'dist/apps/api/apps/api/src/main.js',
  worker: 'dist/apps/worker/apps/worker/src/main.js',
};
const children = new Map();
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  process.exitCode = code;
}

for (const [name, entry] of Object.entries(apps)) {
  const child = spawn(process.execPath, ['--enable-source-maps', entry], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    console.log(`[${name}] exited (${signal ?? code})`);
    stopAll(code ?? 1);
  });
  children.set(name, child);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
