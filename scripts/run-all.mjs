// Runs the built API and worker side by side (or the apps named as arguments:
// `node scripts/run-all.mjs api`), prefixes their output when there are
// several, and stops all (SIGTERM, so active jobs finish) when one exits or on
// Ctrl-C. Each app gets its flags from runtime-defaults.mjs unless NODE_OPTIONS is set.
import { spawn } from 'node:child_process';
import { nodeOptionsFor } from './runtime-defaults.mjs';

const entries = {
  api: 'dist/apps/api/apps/api/src/main.js',
  worker: 'dist/apps/worker/apps/worker/src/main.js',
};
const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in entries));
if (unknown.length > 0) {
  console.error(`run-all: unknown app(s) ${unknown.join(', ')}; known: ${Object.keys(entries).join(', ')}`);
  process.exit(2);
}
const apps = Object.fromEntries(Object.entries(entries).filter(([name]) => names.length === 0 || names.includes(name)));
const prefixed = Object.keys(apps).length > 1;
const children = new Map();
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  process.exitCode = code;
}

for (const [name, entry] of Object.entries(apps)) {
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: nodeOptionsFor(name) },
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(prefixed ? `[${name}] ${line}\n` : `${line}\n`);
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
