import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { envSchema, loadConfig } from '@herald/config';

/**
 * No Docker engine runs here, so the compose file and the Dockerfile are
 * checked structurally and against the config schema: they cannot drift from
 * the code unnoticed.
 */
interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string | string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
}

const compose = load(readFileSync('docker-compose.yml', 'utf8'), { schema: CORE_SCHEMA.withTags(mergeTag) }) as {
  services: Record<string, ComposeService>;
};
const dockerfile = readFileSync('Dockerfile', 'utf8');
const nestCli = JSON.parse(readFileSync('nest-cli.json', 'utf8')) as { projects: Record<string, { entryFile: string }> };
const APPS = ['migrate', 'api', 'worker'] as const;

/** Compose-style `${NAME:-default}` resolved to its default, as on a machine without those variables. */
const resolveDefaults = (env: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
const healthcheckText = (service: ComposeService) => [service.healthcheck?.test ?? []].flat().join(' ');

describe('docker-compose.yml', () => {
  const { services } = compose;

  it('runs the whole stack', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'mailpit', 'migrate', 'postgres', 'redis', 'worker']);
  });

  it('runs Redis with AOF persistence and noeviction', () => {
    const command = [services.redis!.command].flat().join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
  });

  it.each(['postgres', 'redis', 'mailpit', 'api', 'worker'])('gives %s a health check', (name) => {
    expect(healthcheckText(services[name]!)).not.toBe('');
  });

  it.each(['api', 'worker'])('starts %s only after healthy services and finished migrations', (name) => {
    expect(services[name]!.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
  });

  it.each(APPS)('sets only variables the config schema knows, and valid ones, for %s', (name) => {
    const env = resolveDefaults(services[name]!.environment ?? {});
    const known = Object.keys(envSchema.shape);
    expect(Object.keys(env).filter((key) => !known.includes(key))).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('publishes the API on its PORT and checks readiness there', () => {
    const port = String(services.api!.environment!.PORT);
    expect(services.api!.ports).toContain(`${port}:${port}`);
    expect(healthcheckText(services.api!)).toContain(`127.0.0.1:${port}/health/ready`);
  });

  it('checks the worker on its WORKER_PORT', () => {
    expect(healthcheckText(services.worker!)).toContain(`127.0.0.1:${services.worker!.environment!.WORKER_PORT}/health/ready`);
  });

  it.each([
    ['migrate', 'cli'],
    ['api', 'api'],
    ['worker', 'worker'],
  ])('builds %s from the Dockerfile as app "%s", an app of the monorepo', (service, app) => {
    expect(services[service]!.build).toEqual({ context: '.', args: { APP: app } });
    expect(nestCli.projects[app]!.entryFile).toBe(`apps/${app}/src/main`);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('is multi-stage: dependencies, build, a slim runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
  });

  it('gives npm ci every package the repository links (file: dependencies such as the schematics)', () => {
    const { dependencies, devDependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, string>>;
    const linked = Object.values({ ...dependencies, ...devDependencies })
      .filter((version) => version.startsWith('file:'))
      .map((version) => version.slice('file:'.length));
    const deps = stages[0]!;
    for (const dir of linked) {
      const copy = deps.indexOf(`COPY ${dir}/package.json ./${dir}/package.json`);
      expect(copy).toBeGreaterThan(-1);
      expect(copy).toBeLessThan(deps.indexOf('npm ci'));
    }
  });

  it('runs as a non-root user with a health check', () => {
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
  });

  it('runs each app with its Node flags from scripts/runtime-defaults.mjs unless NODE_OPTIONS is set', async () => {
    const { NODE_OPTIONS_BY_APP } = await import('../../scripts/runtime-defaults.mjs');
    const cmd = /^CMD \["sh", "-c", "(.*)"\]$/m.exec(runtime)?.[1]?.replace(/\\"/g, '"') ?? '';
    expect(cmd).toContain('if [ -z "${NODE_OPTIONS+x}" ]');
    // Run the command's shell logic for real, with node replaced by a printout of what it would get.
    const effective = (env: Record<string, string>) =>
      execFileSync('sh', ['-c', cmd.replace(/exec node .*$/, 'printf %s "$NODE_OPTIONS"')], {
        env: { PATH: process.env.PATH, ...env },
      }).toString();
    for (const app of ['api', 'worker'] as const) {
      expect(effective({ APP: app })).toBe(NODE_OPTIONS_BY_APP[app]);
      expect(effective({ APP: app, NODE_OPTIONS: '--max-old-space-size=512' })).toBe('--max-old-space-size=512');
    }
    expect(effective({ APP: 'cli' })).toBe('');
  });

  it('starts the app named by APP from the path `nest build` writes', () => {
    expect(runtime).toContain('dist/apps/$APP/apps/$APP/src/main.js');
    expect(runtime).toMatch(/^ARG APP=api$/m);
  });
});

describe('.env.example and the README configuration table', () => {
  const variables = Object.keys(envSchema.shape).sort();
  const example = readFileSync('.env.example', 'utf8');
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## Configuration');
  const configurationSection = readme.slice(start, readme.indexOf('\n## ', start + 1));

  it('.env.example names every variable of the config schema, and no other', () => {
    // Set (`NAME=value`) or shown commented out (`# NAME=example`) when it has no default.
    const named = [...example.matchAll(/^(?:# ?)?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    expect([...new Set(named)].sort()).toEqual(variables);
  });

  it('sets each variable in .env.example to a value the schema accepts', () => {
    const env = Object.fromEntries(
      [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => [name, value!.replace(/^"(.*)"$/, '$1')]),
    );
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('gives every variable of the config schema a row in the README configuration table, and no other', () => {
    const firstCells = [...configurationSection.matchAll(/^\| ([^|]*\S) +\|/gm)].map((match) => match[1]!);
    const named = firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]));
    expect(named.sort()).toEqual(variables);
  });
});
