import { hash, verify } from '@node-rs/argon2';
import { validate } from 'dockerfile-utils';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import semver from 'semver';

/**
 * The Node.js herald runs on (README "Which Node"): one major in every place that names it, a running
 * Node that every dependency supports, and the native parts working although npm ran none of the
 * dependencies' install scripts.
 */
const read = (path: string) => readFileSync(path, 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string; onFail: string } };
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<
    string,
    { version?: string; dev?: boolean; optional?: boolean; hasInstallScript?: boolean; engines?: { node?: string } }
  >;
};
const useNode = read('scripts/use-node.sh');
const pinned = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(useNode)?.[1];
const dockerfile = read('Dockerfile');
const major = read('.nvmrc').trim();
/** The images the Dockerfile pulls (every FROM that does not name an earlier stage). */
const stageNames = new Set([...dockerfile.matchAll(/^FROM \S+ AS (\S+)/gm)].map(([, stage]) => stage!));
const baseImages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map(([, image]) => image!).filter((image) => !stageNames.has(image));
const require = createRequire(import.meta.url);

describe('The supported Node.js', () => {
  it('is one major everywhere: .nvmrc, engines, devEngines, the image, the project-local Node, @types/node', () => {
    expect(major).toMatch(/^\d+$/);
    expect(pkg.engines.node).toBe(`^${pinned('NODE_MINIMUM')}`);
    expect(pkg.devEngines.runtime).toEqual({ name: 'node', version: pkg.engines.node, onFail: 'warn' });
    expect(semver.major(pinned('NODE_MINIMUM')!)).toBe(Number(major));
    expect(semver.satisfies(pinned('NODE_VERSION')!, pkg.engines.node)).toBe(true);
    expect(baseImages.length).toBeGreaterThanOrEqual(2);
    for (const image of baseImages) expect(image).toBe(`node:${major}-bookworm-slim`);
    expect(semver.minVersion(pkg.devDependencies['@types/node']!)!.major).toBe(Number(major));
  });

  it('is what runs this test (npm test and .ci/run switch to it: scripts/use-node.sh)', () => {
    expect(semver.satisfies(process.versions.node, pkg.engines.node)).toBe(true);
  });

  it('is admitted by every installed package’s engines, so npm ci prints no EBADENGINE', () => {
    const refusing = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = entry.engines?.node;
      return path && range && !semver.satisfies(process.versions.node, range) ? [`${path} wants node ${range}`] : [];
    });
    expect(refusing).toEqual([]);
  });

  it('is admitted only within the range every package’s engines allow (engines claims nothing the dependencies refuse)', () => {
    // The lowest version `engines` admits must satisfy every dependency: otherwise `engines` claims too much.
    const lowest = semver.minVersion(pkg.engines.node)!.version;
    const refusing = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = entry.engines?.node;
      return path && range && !semver.satisfies(lowest, range) ? [`${path} wants node ${range}`] : [];
    });
    expect(refusing).toEqual([]);
  });
});

describe('Install scripts (package.json allowScripts)', () => {
  const withScripts = Object.entries(lock.packages)
    .filter(([path, entry]) => path && entry.hasInstallScript)
    .map(([path]) => path.replace(/^.*node_modules\//, ''));

  it('decides every dependency that has one (npm 11 runs none without a decision)', () => {
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
  });

  it('runs none: each package works from what its tarball and its prebuilt platform package ship', () => {
    expect(Object.entries(pkg.allowScripts).filter(([, allowed]) => allowed)).toEqual([]);
  });

  it('keeps Scarf’s install telemetry off even for an npm that would run the script', () => {
    expect((JSON.parse(read('package.json')) as { scarfSettings?: { enabled?: boolean } }).scarfSettings).toEqual({ enabled: false });
  });

  it('loses no native accelerator: Argon2id (@node-rs/argon2, N-API) hashes and verifies', async () => {
    const digest = await hash('a long passphrase', { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(digest).toMatch(/^\$argon2id\$/);
    expect(await verify(digest, 'a long passphrase')).toBe(true);
  });

  it('loses no native accelerator: msgpackr (BullMQ’s packer) loads msgpackr-extract’s prebuilt binary', async () => {
    // BullMQ only packs (pure JS); the native part speeds up unpacking. Loaded all the same.
    const msgpackr = (await import('msgpackr')) as { isNativeAccelerationEnabled: boolean };
    expect(msgpackr.isNativeAccelerationEnabled).toBe(true);
  });

  it('loses no native accelerator: @parcel/watcher (jest --watch, npm run test:watch) loads its prebuilt binary', () => {
    const watcher = require('@parcel/watcher') as { subscribe: unknown };
    expect(typeof watcher.subscribe).toBe('function');
  });
});

describe('Dockerfile lint (no Docker engine here: dockerfile-utils, the linter of the VS Code Docker extension)', () => {
  it('has no problem the linter knows of', () => {
    expect(validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('installs without running any dependency’s install script, whatever npm the base image ships', () => {
    expect(dockerfile).toMatch(/^RUN npm ci .*--ignore-scripts/m);
  });

  it('pulls no image without a tag, or with `latest`', () => {
    for (const image of baseImages) expect(image).toMatch(/^[^:]+:(?!latest$)[^:]+$/);
  });
});
