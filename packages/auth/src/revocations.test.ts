import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createInProcessRevocations, createRedisRevocations, type SessionRevocations } from './revocations.js';

const redisUrl = process.env.REDIS_URL;
const backends: Array<[string, (ns: string) => SessionRevocations]> = [['in-process', (ns) => createInProcessRevocations(ns)]];
if (redisUrl) backends.push(['redis', (ns) => createRedisRevocations({ url: redisUrl, namespace: ns })]);

describe.each(backends)('%s session revocations', (_name, make) => {
  it('is seen by every instance sharing the namespace, and expires with the token lifetime', async () => {
    const ns = randomUUID();
    const identity = make(ns);
    const router = make(ns);
    const other = make(randomUUID());
    const heard: string[] = [];
    router.onRevoked((sid) => heard.push(sid));
    await new Promise((r) => setTimeout(r, 50));
    await identity.revoke('s1', 1);
    expect(await router.isRevoked('s1')).toBe(true);
    expect(await router.isRevoked('s2')).toBe(false);
    expect(await other.isRevoked('s1')).toBe(false);
    await expect.poll(() => heard).toEqual(['s1']);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await router.isRevoked('s1')).toBe(false);
    await Promise.all([identity.close(), router.close(), other.close()]);
  });
});
