import { commonEnvShape, loadEnv } from '@voiceassist/env';
import { describe, expect, it } from 'vitest';
import { parseEnvExample } from './env-example.js';
import { deployedServices } from './services.js';
import { readRepoFile } from './workspace.js';

const entries = parseEnvExample(readRepoFile('.env.example'));
const commonKeys = Object.keys(commonEnvShape);
const keysOf = (schema: { shape: object }) => Object.keys(schema.shape);

describe('.env.example', () => {
  it('lists every variable of every service env schema, and nothing else', () => {
    const schemaKeys = new Set(Object.values(deployedServices).flatMap(({ envSchema }) => keysOf(envSchema)));
    const exampleKeys = new Set(entries.map((e) => e.name));
    expect([...schemaKeys].filter((key) => !exampleKeys.has(key)), 'read by a service but missing from .env.example').toEqual([]);
    expect([...exampleKeys].filter((key) => !schemaKeys.has(key)), 'in .env.example but read by no service').toEqual([]);
  });

  it('lists each variable once, with a comment line above it', () => {
    const names = entries.map((e) => e.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i), 'listed twice').toEqual([]);
    expect(entries.filter((e) => !e.comment).map((e) => e.name), 'without a comment').toEqual([]);
  });

  it('groups them: common, then shared (read by several services), then one group per service', () => {
    const owners = new Map<string, string[]>();
    for (const [name, { envSchema }] of Object.entries(deployedServices)) {
      for (const key of keysOf(envSchema)) if (!commonKeys.includes(key)) owners.set(key, [...(owners.get(key) ?? []), name]);
    }
    const shared = [...owners].filter(([, by]) => by.length > 1).map(([key]) => key);
    const groups = [...new Set(entries.map((e) => e.group))];
    expect(groups).toEqual(['common', ...(shared.length ? ['shared'] : []), ...Object.keys(deployedServices)]);
    const inGroup = (group: string) => entries.filter((e) => e.group === group).map((e) => e.name).sort();
    expect(inGroup('common')).toEqual([...commonKeys].sort());
    expect(inGroup('shared')).toEqual([...shared].sort());
    for (const [name, { envSchema }] of Object.entries(deployedServices)) {
      expect(inGroup(name), name).toEqual(keysOf(envSchema).filter((key) => !commonKeys.includes(key) && !shared.includes(key)).sort());
    }
  });

  it("shows each service's defaults", () => {
    const example = Object.fromEntries(entries.map((e) => [e.name, e.value]));
    for (const [name, { envSchema }] of Object.entries(deployedServices)) {
      expect(loadEnv(envSchema, example), name).toEqual(loadEnv(envSchema, {}));
    }
  });
});
