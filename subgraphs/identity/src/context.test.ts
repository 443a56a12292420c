import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { identityContext, type IdentityServices } from './context.js';
import type { UserRow } from './db/schema.js';
import { User } from './resolvers/User.js';

describe('User entity references', () => {
  it('are resolved with one batched lookup per request, in order, null for unknown ids', async () => {
    const known = [randomUUID(), randomUUID()];
    const calls: string[][] = [];
    const users = {
      byIds: async (ids: readonly string[]) => {
        calls.push([...ids]);
        return known.filter((id) => ids.includes(id)).map((id) => ({ id, displayName: id }) as UserRow);
      },
      list: async () => [],
    };
    const makeContext = identityContext({ users } as unknown as IdentityServices);
    const base = { viewer: null, requestId: 'r', logger: createLogger({ service: 'identity', level: 'silent' }), ip: undefined, userAgent: undefined, authorization: undefined };
    const ctx = makeContext(base);
    const unknown = randomUUID();
    const resolved = await Promise.all([known[1]!, unknown, known[0]!, known[1]!].map((id) => User.__resolveReference({ __typename: 'User', id }, ctx)));
    expect(resolved.map((u) => u?.id ?? null)).toEqual([known[1], null, known[0], known[1]]);
    expect(calls).toHaveLength(1);
    // A new request starts with an empty cache.
    await User.__resolveReference({ __typename: 'User', id: known[0]! }, makeContext(base));
    expect(calls).toHaveLength(2);
  });
});
