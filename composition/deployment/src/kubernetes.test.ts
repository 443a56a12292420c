import { join } from 'node:path';
import { loadEnv } from '@voiceassist/env';
import { describe, expect, it } from 'vitest';
import { parseDockerfile, stageEnv } from './dockerfile.js';
import { KUBERNETES_DIR, kubectlAvailable, kustomize, kustomizeOverlay, validateAgainstApiSchema, type KubernetesObject } from './kubernetes.js';
import { APP_IMAGE, deployedServices } from './services.js';
import { listWorkspacePackages, readRepoFile, repoRoot } from './workspace.js';

// The Kubernetes manifests rendered as `kubectl kustomize` renders them, checked offline against the
// Kubernetes API schemas and against each service's env schema (as docker-compose.test.ts does).

const SECRET_KEYS = ['DATABASE_URL', 'REDIS_URL', 'IDENTITY_SIGNING_KEY', 'FLAGS_SERVICE_TOKEN'];
const AUTOSCALED = ['router', 'conversation'];
const runtimeStage = parseDockerfile(readRepoFile('Dockerfile')).find((stage) => stage.name === 'runtime');
const runtimeEnv = runtimeStage ? stageEnv(runtimeStage) : {};
const hasKubectl = kubectlAvailable();

interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  workingDir?: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvEntry[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

function checkRendered(label: string, render: () => KubernetesObject[], expectations: { image: RegExp; secretsArePlaceholders: boolean }) {
  describe(label, () => {
    const objects = render();
    const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
    const data = (object: KubernetesObject | undefined): Record<string, string> => {
      const encoded = (object?.data ?? {}) as Record<string, string>;
      if (object?.kind === 'Secret') return Object.fromEntries(Object.entries(encoded).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      return encoded;
    };
    const containers = (deployment: KubernetesObject) => (deployment.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;

    /** What the container's process sees: the image's ENV, its ConfigMaps, then its env entries (secrets resolved). */
    function containerEnv(container: Container): Record<string, string> {
      const env: Record<string, string> = { ...runtimeEnv };
      for (const source of container.envFrom ?? []) {
        expect(source.secretRef, `${container.name}: secrets by secretKeyRef only, never a whole Secret`).toBeUndefined();
        const configMap = find('ConfigMap', source.configMapRef?.name ?? '');
        expect(configMap, `${container.name}: ConfigMap ${source.configMapRef?.name} is rendered`).toBeDefined();
        Object.assign(env, data(configMap));
      }
      for (const entry of container.env ?? []) {
        const secretRef = entry.valueFrom?.secretKeyRef;
        if (secretRef) {
          const secret = data(find('Secret', secretRef.name));
          expect(secret, `${container.name}: Secret ${secretRef.name} key ${secretRef.key}`).toHaveProperty(secretRef.key);
          env[entry.name] = secret[secretRef.key] ?? '';
        } else {
          env[entry.name] = entry.value ?? '';
        }
      }
      return env;
    }

    it('renders only objects that match the Kubernetes API schemas', () => {
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects) expect(() => validateAgainstApiSchema(object)).not.toThrow();
    });

    it('has a Deployment, Service and PodDisruptionBudget per service, and autoscales the router and conversation', () => {
      const names = Object.keys(deployedServices).sort();
      expect(byKind('Deployment').map((o) => o.metadata.name).sort()).toEqual(names);
      expect(byKind('Service').map((o) => o.metadata.name).sort()).toEqual(names);
      expect(byKind('PodDisruptionBudget').map((o) => o.metadata.name).sort()).toEqual(names);
      const scaled = byKind('HorizontalPodAutoscaler').map((o) => (o.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef);
      expect(scaled.sort((a, b) => a.name.localeCompare(b.name))).toEqual(AUTOSCALED.sort().map((name) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name })));
      for (const pdb of byKind('PodDisruptionBudget')) {
        const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
        const deployment = find('Deployment', pdb.metadata.name)!;
        const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
        expect(podLabels, `PodDisruptionBudget ${pdb.metadata.name} selects its pods`).toMatchObject(selector);
      }
    });

    it('keeps the secrets in the Secret the manifests define, reaching pods by secretKeyRef only', () => {
      const secrets = byKind('Secret');
      expect(secrets).toHaveLength(1);
      expect(Object.keys(data(secrets[0])).sort()).toEqual([...SECRET_KEYS].sort());
      for (const configMap of byKind('ConfigMap')) expect(Object.keys(data(configMap)).filter((key) => SECRET_KEYS.includes(key)), configMap.metadata.name).toEqual([]);
      const placeholders = Object.values(data(secrets[0])).filter((value) => value.includes('REPLACE_ME'));
      expect(placeholders.length > 0).toBe(expectations.secretsArePlaceholders);
    });

    describe.each(Object.keys(deployedServices))('the %s Deployment', (name) => {
      const service = deployedServices[name]!;
      const deployment = () => find('Deployment', name)!;
      const container = () => {
        const all = containers(deployment());
        expect(all).toHaveLength(1);
        return all[0]!;
      };

      it('runs its package start script from the one image', () => {
        const workspacePackage = listWorkspacePackages().find((p) => p.name === service.packageName);
        expect(container().image).toMatch(expectations.image);
        expect(container().command?.join(' ')).toBe(workspacePackage?.scripts.start);
        expect(container().workingDir).toBe(`/app/${workspacePackage?.dir}`);
      });

      it('sets only variables its env schema reads, they validate, and every secret comes by secretKeyRef', () => {
        const env = containerEnv(container());
        const known = Object.keys(service.envSchema.shape);
        expect(Object.keys(env).filter((key) => !known.includes(key)), `variables ${name}'s env schema does not read`).toEqual([]);
        const loaded = loadEnv(service.envSchema, env) as Record<string, unknown>;
        expect(loaded.NODE_ENV).toBe('production');
        for (const key of ['DATABASE_URL', 'REDIS_URL']) {
          expect(container().env?.find((entry) => entry.name === key)?.valueFrom?.secretKeyRef, `${name} ${key}`).toEqual({ name: byKind('Secret')[0]!.metadata.name, key });
        }
        for (const entry of container().env ?? []) {
          if (SECRET_KEYS.includes(entry.name)) expect(entry.valueFrom?.secretKeyRef?.key, `${name} ${entry.name}`).toBe(entry.name);
        }
      });

      it('listens on the port its Service targets, and reaches other services where they listen', () => {
        const env = containerEnv(container());
        const port = Number(loadEnv(service.envSchema, env)[service.portVariable]);
        expect(container().ports).toContainEqual({ name: 'http', containerPort: port });
        expect(container().ports).toContainEqual({ name: 'metrics', containerPort: Number(env.METRICS_PORT) });
        expect(env.METRICS_HOST).toBe('0.0.0.0');
        const ports = (find('Service', name)!.spec as { ports: Array<{ name: string; port: number; targetPort: string }> }).ports;
        expect(ports).toContainEqual({ name: 'http', port, targetPort: 'http' });
        for (const value of Object.values(env).filter((v) => URL.canParse(v) && /^https?:/.test(v))) {
          const url = new URL(value);
          if (url.hostname.includes('.')) continue; // outside the namespace: managed services
          const target = find('Service', url.hostname);
          expect(target, `${name} points at ${value}: no such Service`).toBeDefined();
          expect((target!.spec as { ports: Array<{ port: number }> }).ports.map((p) => p.port), `${name} points at ${value}`).toContain(Number(url.port));
        }
      });

      it('is ready on /ready, alive on /health, with resource requests and limits', () => {
        expect(container().readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http' });
        expect(container().livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
        expect(service.healthPath).toBe('/ready');
        for (const kind of ['requests', 'limits'] as const) {
          expect(Object.keys(container().resources?.[kind] ?? {}).sort(), `${name} ${kind}`).toEqual(['cpu', 'memory']);
        }
      });
    });
  });
}

describe.skipIf(!hasKubectl)(hasKubectl ? 'Kubernetes manifests' : 'Kubernetes manifests (skipped: kubectl is not installed)', () => {
  checkRendered('the base', () => kustomize(join(repoRoot, KUBERNETES_DIR, 'base')), { image: new RegExp(`^${APP_IMAGE}$`), secretsArePlaceholders: true });

  const example = readRepoFile(`${KUBERNETES_DIR}/overlays/production/secrets.env.example`);
  checkRendered('the production overlay', () => kustomizeOverlay('production', { 'secrets.env': example }), {
    image: new RegExp(`/${APP_IMAGE}:[\\w.-]+$`),
    secretsArePlaceholders: false,
  });

  it('the production overlay does not render without its secrets.env, so placeholders never reach a cluster', () => {
    expect(() => kustomizeOverlay('production', {})).toThrow(/secrets\.env/);
  });

  it('the production overlay puts everything in its namespace', () => {
    const objects = kustomizeOverlay('production', { 'secrets.env': example });
    expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'voiceassist').map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([]);
  });
});
