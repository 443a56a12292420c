import { describe, expect, it } from 'vitest';
import type { FlagDefinition, FlagSubject } from './definition.js';
import { bucketOf, evaluateFlag, murmur3 } from './evaluate.js';

const NOW = '2030-01-01T00:00:00.000Z';
const flag = (over: Partial<FlagDefinition> = {}): FlagDefinition => ({
  key: 'checkout.new-flow',
  description: '',
  enabled: true,
  visibility: 'AUTHENTICATED',
  variants: [],
  rules: [],
  rolloutPercentage: 100,
  version: 7,
  createdAt: NOW,
  updatedAt: NOW,
  ...over,
});

/** 10,000 synthetic users with realistic ids. */
const USERS = Array.from({ length: 10_000 }, (_, i) => `${i.toString(16).padStart(8, '0')}-7d1c-4b7e-9a51-${(i * 7919).toString(16).padStart(12, '0')}`);

const share = (count: number) => (count / USERS.length) * 100;

describe('murmur3', () => {
  it('matches the reference MurmurHash3 x86_32 values', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes of non-ASCII input', () => {
    expect(murmur3('héllo')).not.toBe(murmur3('hello'));
    expect(murmur3('héllo')).toBe(murmur3('héllo'));
  });
});

describe('evaluation order and reasons', () => {
  it('a disabled flag is off for everyone, before any rule', () => {
    const result = evaluateFlag(flag({ enabled: false, rules: [{ kind: 'ROLE_IN', attribute: null, values: ['ADMIN'], enabled: true, variant: null }] }), { userId: 'u1', role: 'ADMIN' });
    expect(result).toMatchObject({ enabled: false, reason: 'DISABLED', variant: null, value: null, version: 7 });
  });

  it('the first matching rule decides, before the rollout', () => {
    const f = flag({
      rolloutPercentage: 0,
      variants: [
        { key: 'blue', weight: 50, value: { color: 'blue' } },
        { key: 'green', weight: 50, value: { color: 'green' } },
      ],
      rules: [
        { kind: 'ROLE_IN', attribute: null, values: ['VIEWER'], enabled: false, variant: null },
        { kind: 'EMAIL_DOMAIN_IN', attribute: null, values: ['clinic.example'], enabled: true, variant: 'green' },
        { kind: 'USER_ID_IN', attribute: null, values: ['u-beta'], enabled: true, variant: null },
        { kind: 'ATTRIBUTE_EQUALS', attribute: 'platform', values: ['ios'], enabled: true, variant: 'blue' },
        { kind: 'ATTRIBUTE_IN', attribute: 'build', values: [41, 42], enabled: true, variant: 'blue' },
      ],
    });
    expect(evaluateFlag(f, { userId: 'a', role: 'VIEWER', email: 'x@clinic.example' })).toMatchObject({ enabled: false, reason: 'RULE_MATCH', ruleIndex: 0 });
    expect(evaluateFlag(f, { userId: 'a', role: 'USER', email: 'Nurse@Clinic.Example' })).toMatchObject({
      enabled: true,
      reason: 'RULE_MATCH',
      ruleIndex: 1,
      variant: 'green',
      value: { color: 'green' },
    });
    const beta = evaluateFlag(f, { userId: 'u-beta', role: 'USER' });
    expect(beta).toMatchObject({ enabled: true, reason: 'RULE_MATCH', ruleIndex: 2 });
    expect(['blue', 'green']).toContain(beta.variant);
    expect(evaluateFlag(f, { clientId: 'c1', attributes: { platform: 'ios' } })).toMatchObject({ enabled: true, ruleIndex: 3, variant: 'blue' });
    expect(evaluateFlag(f, { clientId: 'c1', attributes: { build: 42 } })).toMatchObject({ enabled: true, ruleIndex: 4 });
    // "42" is not 42: attribute values compare strictly.
    expect(evaluateFlag(f, { clientId: 'c1', attributes: { build: '42' } })).toMatchObject({ enabled: false, reason: 'NOT_IN_ROLLOUT' });
    expect(evaluateFlag(f, { userId: 'someone', role: 'USER', email: 'x@elsewhere.example' })).toMatchObject({ enabled: false, reason: 'NOT_IN_ROLLOUT', ruleIndex: null });
  });

  it('a full rollout is on for everyone, anonymous callers included', () => {
    expect(evaluateFlag(flag(), {})).toMatchObject({ enabled: true, reason: 'ROLLOUT' });
  });

  it('a partial rollout leaves out callers with no stable id rather than flapping', () => {
    expect(evaluateFlag(flag({ rolloutPercentage: 50 }), {})).toMatchObject({ enabled: false, reason: 'NO_BUCKETING_KEY' });
  });

  it('buckets anonymous callers by their client id, signed-in ones by user id', () => {
    const f = flag({ rolloutPercentage: 50 });
    for (const id of USERS.slice(0, 200)) {
      expect(evaluateFlag(f, { clientId: id }).enabled).toBe(evaluateFlag(f, { userId: id }).enabled);
      expect(evaluateFlag(f, { userId: id, clientId: 'ignored' }).enabled).toBe(evaluateFlag(f, { userId: id }).enabled);
    }
  });
});

describe('rollout over 10,000 users', () => {
  it.each([1, 5, 10, 25, 33, 50, 75, 90, 99])('%i%% reaches that share within ±1.5 points', (percent) => {
    const f = flag({ rolloutPercentage: percent });
    const on = USERS.filter((userId) => evaluateFlag(f, { userId }).enabled).length;
    expect(Math.abs(share(on) - percent)).toBeLessThanOrEqual(1.5);
  });

  it('raising the percentage only adds users: nobody who had the flag loses it', () => {
    let previous = new Set<string>();
    for (const percent of [0, 1, 5, 10, 20, 35, 50, 65, 80, 95, 100]) {
      const f = flag({ rolloutPercentage: percent });
      const on = new Set(USERS.filter((userId) => evaluateFlag(f, { userId }).enabled));
      for (const userId of previous) expect(on.has(userId)).toBe(true);
      expect(on.size).toBeGreaterThanOrEqual(previous.size);
      previous = on;
    }
    expect(previous.size).toBe(USERS.length);
  });

  it('is sticky per flag: the same user gets the same answer every time, and flags are bucketed independently', () => {
    const a = flag({ key: 'a.flag', rolloutPercentage: 50 });
    const b = flag({ key: 'b.flag', rolloutPercentage: 50 });
    const first = USERS.map((userId) => evaluateFlag(a, { userId }).enabled);
    expect(USERS.map((userId) => evaluateFlag(a, { userId }).enabled)).toEqual(first);
    const both = USERS.filter((userId) => evaluateFlag(a, { userId }).enabled && evaluateFlag(b, { userId }).enabled).length;
    // Independent halves overlap on about a quarter.
    expect(Math.abs(share(both) - 25)).toBeLessThanOrEqual(1.5);
  });
});

describe('variants over 10,000 users', () => {
  const split = (weights: number[], subject: (id: string) => FlagSubject = (userId) => ({ userId })) => {
    const f = flag({ variants: weights.map((weight, i) => ({ key: `v${i}`, weight, value: i })) });
    const counts = weights.map(() => 0);
    for (const id of USERS) {
      const result = evaluateFlag(f, subject(id));
      expect(result.value).toBe(Number(result.variant!.slice(1)));
      counts[Number(result.variant!.slice(1))]! += 1;
    }
    return counts.map(share);
  };

  it.each([[[50, 50]], [[10, 90]], [[20, 30, 50]], [[33, 33, 34]], [[25, 25, 25, 25]]])('split %j lands within ±2 points of each weight', (weights) => {
    const shares = split(weights);
    weights.forEach((weight, i) => expect(Math.abs(shares[i]! - weight)).toBeLessThanOrEqual(2));
  });

  it('a user keeps their variant while weights are unchanged, whatever the rollout does', () => {
    const variants = [
      { key: 'control', weight: 50, value: null },
      { key: 'treatment', weight: 50, value: null },
    ];
    const at = (percent: number) => flag({ variants, rolloutPercentage: percent });
    const first = new Map(USERS.map((userId) => [userId, evaluateFlag(at(20), { userId }).variant]));
    for (const userId of USERS) {
      const later = evaluateFlag(at(80), { userId });
      if (first.get(userId) !== null) expect(later.variant).toBe(first.get(userId));
    }
  });

  it('variant and rollout use separate buckets: a 50% rollout does not select one variant', () => {
    const f = flag({ rolloutPercentage: 50, variants: [{ key: 'a', weight: 50, value: null }, { key: 'b', weight: 50, value: null }] });
    const served = USERS.map((userId) => evaluateFlag(f, { userId })).filter((r) => r.enabled);
    const a = served.filter((r) => r.variant === 'a').length / served.length;
    expect(Math.abs(a * 100 - 50)).toBeLessThanOrEqual(3);
  });

  it('bucket boundaries: a 0% weight never serves, buckets stay in 0..9,999', () => {
    const shares = split([0, 100]);
    expect(shares).toEqual([0, 100]);
    for (const id of USERS.slice(0, 1_000)) {
      const bucket = bucketOf('k', id, 'rollout');
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(10_000);
    }
  });
});
