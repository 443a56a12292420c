import { clientAddress, type TrustProxy } from '@voiceassist/client-address';
import { loadEnv } from '@voiceassist/env';
import { routerEnvSchema } from '@voiceassist/router';
import { describe, expect, it } from 'vitest';
import { commandLine, parseCompose, serviceDependencies, serviceEnvironment, type ComposeService } from './compose.js';
import { parseDockerfile, stageEnv, type DockerStage } from './dockerfile.js';
import { PRODUCTION_TOPOLOGY_HEADING, codeIn, extractSection, parseTable } from './readme.js';
import { APP_IMAGE, deployedServices } from './services.js';
import { listWorkspacePackages, readRepoFile } from './workspace.js';

const compose = parseCompose(readRepoFile('docker-compose.yml'));
const services = compose.services;
const isAppService = (service: ComposeService) => service.image === APP_IMAGE || service.build !== undefined;
const appServiceNames = Object.keys(services).filter((name) => isAppService(services[name] ?? {}));

const stages = parseDockerfile(readRepoFile('Dockerfile'));
const stage = (name: string): DockerStage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage "${name}" (stages: ${stages.map((s) => s.name).join(', ')})`);
  return found;
};
const runtimeStage = stages.find((s) => s.name === 'runtime');
const runtimeEnv = runtimeStage ? stageEnv(runtimeStage) : {};

const readmeSection = extractSection(readRepoFile('README.md'), PRODUCTION_TOPOLOGY_HEADING);
const readmeRows = parseTable(readmeSection ?? '');
const readmeCommand = (service: string) => readmeRows.find((row) => codeIn(row.service) === service)?.command;

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function deployed(name: string) {
  const entry = deployedServices[name];
  if (!entry) {
    throw new Error(
      `compose service "${name}" runs ${APP_IMAGE} but has no env schema: add it to composition/deployment/src/services.ts`,
    );
  }
  return entry;
}

/** What the service's process sees: the image's ENV, then compose's environment on top. */
function effectiveEnv(name: string): Record<string, string> {
  return { ...runtimeEnv, ...serviceEnvironment(service(name)) };
}

function port(name: string): number {
  const { envSchema, portVariable } = deployed(name);
  return Number(loadEnv(envSchema, effectiveEnv(name))[portVariable]);
}

describe('docker-compose.yml', () => {
  it('runs the infrastructure: PostgreSQL with pgvector, Redis and Qdrant', () => {
    expect(service('postgres').image).toMatch(/^pgvector\/pgvector:pg\d+$/);
    expect(service('redis').image).toMatch(/^redis:\d+/);
    expect(service('qdrant').image).toMatch(/^qdrant\/qdrant(:|$)/);
  });

  it('runs the router and every deployed service from the one image built by ./Dockerfile', () => {
    expect(appServiceNames).toContain('router');
    expect(appServiceNames).toContain('identity');
    expect(appServiceNames.sort()).toEqual(Object.keys(deployedServices).sort());
    for (const name of appServiceNames) {
      const { build, image } = service(name);
      const context = typeof build === 'string' ? build : build?.context;
      const dockerfile = typeof build === 'object' ? (build.dockerfile ?? 'Dockerfile') : 'Dockerfile';
      expect({ name, context, dockerfile, image }).toEqual({ name, context: '.', dockerfile: 'Dockerfile', image: APP_IMAGE });
    }
  });

  describe.each(appServiceNames)('app service %s', (name) => {
    it('has a known env schema', () => {
      expect(
        deployedServices[name],
        `compose service "${name}" runs ${APP_IMAGE} but composition/deployment/src/services.ts has no env schema for it`,
      ).toBeDefined();
    });

    it('sets only variables its env schema reads, and they validate', () => {
      const { envSchema } = deployed(name);
      const known = Object.keys(envSchema.shape);
      const env = effectiveEnv(name);
      expect(Object.keys(env).filter((key) => !known.includes(key)), `variables ${name}'s env schema does not read`).toEqual([]);
      expect(() => loadEnv(envSchema, env)).not.toThrow();
      expect(loadEnv(envSchema, env).NODE_ENV).toBe('production');
    });

    it('runs its package start script, the command the README documents', () => {
      const { packageName } = deployed(name);
      const { command } = service(name);
      expect(Array.isArray(command), 'command in exec form (a YAML list)').toBe(true);
      const workspacePackage = listWorkspacePackages().find((p) => p.name === packageName);
      expect(workspacePackage?.scripts.start, `${packageName} has a start script`).toBeTruthy();
      // The start script itself, in the package folder: no pnpm in between, so SIGTERM reaches node.
      expect(commandLine(service(name))).toBe(workspacePackage?.scripts.start);
      expect(service(name).working_dir).toBe(`/app/${workspacePackage?.dir}`);
      expect(readmeCommand(name), `README table row for ${name}`).toBe(`\`${commandLine(service(name))}\``);
    });

    it('uses real infrastructure, and waits for every service its environment points at', () => {
      const env = effectiveEnv(name);
      expect(new URL(env.DATABASE_URL ?? 'missing:').hostname).toBe('postgres');
      expect(new URL(env.REDIS_URL ?? 'missing:').hostname).toBe('redis');
      expect(env.JWKS_URL).toBe(`http://identity:${port('identity')}/.well-known/jwks.json`);
      const pointedAt = Object.values(env)
        .filter((value) => URL.canParse(value))
        .map((value) => new URL(value).hostname)
        .filter((host) => host in services && host !== name);
      const dependencies = serviceDependencies(service(name));
      for (const host of new Set(pointedAt)) {
        const expected = service(host).healthcheck ? 'service_healthy' : 'service_started';
        expect(dependencies[host], `${name} depends_on ${host}`).toBe(expected);
      }
    });

    it("is health-checked with node's fetch on its own port", () => {
      const { healthPath } = deployed(name);
      const test = service(name).healthcheck?.test;
      expect(test?.[0], 'healthcheck test in exec form').toBe('CMD');
      expect(test?.[1]).toBe('node');
      expect(Array.isArray(test) ? test.join(' ') : test).toContain(`fetch('http://127.0.0.1:${port(name)}${healthPath}')`);
    });
  });

  it('routes the router to every subgraph service and starts it after they are healthy', () => {
    const subgraphs = appServiceNames.filter((name) => name !== 'router');
    expect(subgraphs).toContain('identity');
    const env = effectiveEnv('router');
    const dependencies = serviceDependencies(service('router'));
    for (const name of subgraphs) {
      expect(env[`${name.toUpperCase()}_URL`], `router's ${name.toUpperCase()}_URL`).toBe(`http://${name}:${port(name)}/graphql`);
      expect(dependencies[name], `router depends_on ${name}`).toBe('service_healthy');
    }
    expect(service('router').ports).toContain(`${port('router')}:${port('router')}`);
  });

  it('lets subgraphs take the client address from the router alone, and the router from no one by default', () => {
    const routerNetworks = service('router').networks;
    const routerAddress = Array.isArray(routerNetworks) ? undefined : routerNetworks?.default?.ipv4_address;
    expect(routerAddress, "the router's fixed address on the compose network").toBeDefined();
    const spoofed = '203.0.113.9';
    for (const name of appServiceNames.filter((n) => n !== 'router')) {
      const trust = loadEnv(deployed(name).envSchema, effectiveEnv(name)).TRUST_PROXY as TrustProxy;
      expect(clientAddress(routerAddress, spoofed, trust), `${name} reads the address the router forwards`).toBe(spoofed);
      expect(clientAddress('172.30.0.99', spoofed, trust), `${name} ignores X-Forwarded-For from anyone else`).toBe('172.30.0.99');
    }
    const routerTrust = loadEnv(routerEnvSchema, effectiveEnv('router')).TRUST_PROXY;
    expect(clientAddress('172.30.0.99', spoofed, routerTrust)).toBe('172.30.0.99');
  });

  it('serves metrics on a port of their own that is not published', () => {
    for (const name of appServiceNames) {
      const env = loadEnv(deployed(name).envSchema, effectiveEnv(name));
      expect(env.METRICS_PORT, name).toBeDefined();
      expect(env.METRICS_PORT, name).not.toBe(port(name));
      expect((service(name).ports ?? []).map(String).some((p) => p.includes(String(env.METRICS_PORT))), `${name} publishes its metrics port`).toBe(false);
    }
  });
});

describe('README production topology section', () => {
  it('exists with a table row per compose service, commands as in docker-compose.yml', () => {
    expect(readmeSection, `README.md section "${PRODUCTION_TOPOLOGY_HEADING}"`).toBeDefined();
    const byService = (a: { service?: string }, b: { service?: string }) => (a.service ?? '').localeCompare(b.service ?? '');
    const rows = readmeRows.map((row) => ({ service: codeIn(row.service), command: codeIn(row.command) })).sort(byService);
    const expected = Object.entries(services).map(([name, s]) => ({ service: name, command: commandLine(s) })).sort(byService);
    expect(rows).toEqual(expected);
  });
});

describe('Dockerfile', () => {
  const args = (name: string, keyword: string) =>
    stage(name)
      .instructions.filter((i) => i.keyword === keyword)
      .map((i) => i.args);

  it('has the stages base → deps → runtime, on Node 20', () => {
    expect(stages.map((s) => `${s.name}<-${s.from}`)).toEqual(['base<-node:20-bookworm-slim', 'deps<-base', 'runtime<-base']);
  });

  it("installs the pnpm version package.json's packageManager names", () => {
    const { packageManager } = JSON.parse(readRepoFile('package.json')) as { packageManager: string };
    expect(args('base', 'RUN')).toContain(`npm install -g ${packageManager}`);
  });

  it('installs from every workspace manifest with the frozen lockfile', () => {
    const copies = args('deps', 'COPY');
    expect(copies).toContain('package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./');
    const missing = listWorkspacePackages()
      .map(({ dir }) => `${dir}/package.json ${dir}/`)
      .filter((copy) => !copies.includes(copy));
    expect(missing, 'workspace package.json files the deps stage does not copy').toEqual([]);
    expect(args('deps', 'RUN').some((run) => run.includes('pnpm install --frozen-lockfile'))).toBe(true);
  });

  it('runs the source in production mode as the non-root node user, with the speech tools', () => {
    expect(args('runtime', 'COPY')).toEqual(['--from=deps /app ./', '. .']);
    expect(runtimeEnv.NODE_ENV).toBe('production');
    expect(args('runtime', 'USER')).toEqual(['node']);
    const apt = args('runtime', 'RUN').find((run) => run.includes('apt-get install')) ?? '';
    for (const pkg of ['espeak-ng', 'pocketsphinx', 'pocketsphinx-en-us', 'sox']) expect(apt.split(' ')).toContain(pkg);
  });

  it('builds the console and every service bundle its start script runs', () => {
    expect(args('runtime', 'RUN')).toContain('pnpm build');
    for (const { packageName } of Object.values(deployedServices)) {
      const workspacePackage = listWorkspacePackages().find((p) => p.name === packageName);
      expect(workspacePackage?.scripts.start, packageName).toBe('node dist/index.js');
    }
  });

  it('keeps local state out of the build context', () => {
    const ignored = readRepoFile('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/.data', '.git', '**/test-output', '**/dist']) expect(ignored).toContain(entry);
  });

  it("sets only variables every deployed service's env schema reads", () => {
    for (const [name, { envSchema }] of Object.entries(deployedServices)) {
      expect(Object.keys(runtimeEnv).filter((key) => !(key in envSchema.shape)), name).toEqual([]);
    }
  });
});
