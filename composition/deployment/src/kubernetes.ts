import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './workspace.js';

/** Where the kustomize base and overlays live, relative to the repo root. */
export const KUBERNETES_DIR = 'composition/deployment/kubernetes';

/** A rendered object: only what the checks read is typed; the schema check covers the rest. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The API schema of each kind the manifests may use (Kubernetes' OpenAPI, compiled, offline). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Throws naming the object and the failing fields when it does not match its kind's API schema (or its kind is unknown here). */
export function validateAgainstApiSchema(object: KubernetesObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`${object.apiVersion} ${object.kind} ${object.metadata.name}: no API schema known for this kind`);
  // kustomize folds long base64 values over lines; the API server's decoder skips the line breaks.
  const unfolded =
    object.kind === 'Secret' && object.data
      ? { ...object, data: Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([key, value]) => [key, value.replace(/\s/g, '')])) }
      : object;
  try {
    new Model(unfolded as never).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
  }
}

/** Whether kubectl (with its built-in kustomize) is on this machine. */
export function kubectlAvailable(): boolean {
  const result = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return result.status === 0;
}

/** Runs `kubectl kustomize` on a folder and parses every rendered object. */
export function kustomize(folder: string): KubernetesObject[] {
  const result = spawnSync('kubectl', ['kustomize', folder], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${folder} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as KubernetesObject);
}

/**
 * Renders an overlay (`overlays/<name>`) from a copy of the manifests, with `files` written into the
 * overlay first (its secrets.env, which is never committed).
 */
export function kustomizeOverlay(name: string, files: Record<string, string>): KubernetesObject[] {
  const copy = mkdtempSync(join(tmpdir(), 'voiceassist-kubernetes-'));
  try {
    cpSync(join(repoRoot, KUBERNETES_DIR), copy, { recursive: true });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(copy, 'overlays', name, file), content);
    return kustomize(join(copy, 'overlays', name));
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
