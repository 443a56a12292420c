import type { FlagDefinition, FlagEvaluation, FlagSubject, FlagVariant, TargetingRule } from './definition.js';

export * from './definition.js';

// Pure evaluation, shared by the flags subgraph (for clients) and the backend flags client (for
// services), so a flag means the same thing wherever it is read. Order: disabled → targeting
// rules (first match) → rollout → variant.

/** Buckets per 100 percent: rollout and weights resolve to 1/100 of a percent. */
export const BUCKETS = 10_000;

const encoder = new TextEncoder();

/** MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of `input`: fast, well mixed and stable across runtimes. */
export function murmur3(input: string, seed = 0): number {
  for (let i = 0; i < input.length; i++) {
    if (input.charCodeAt(i) > 0x7f) return murmur3Bytes(encoder.encode(input), seed);
  }
  // ASCII: each UTF-16 code unit is the UTF-8 byte; no encoding, no allocation.
  const length = input.length;
  let h = seed >>> 0;
  const blocks = length - (length % 4);
  for (let i = 0; i < blocks; i += 4) {
    h = mixBlock(h, input.charCodeAt(i) | (input.charCodeAt(i + 1) << 8) | (input.charCodeAt(i + 2) << 16) | (input.charCodeAt(i + 3) << 24));
  }
  const tail = length & 3;
  let k = 0;
  if (tail === 3) k ^= input.charCodeAt(blocks + 2) << 16;
  if (tail >= 2) k ^= input.charCodeAt(blocks + 1) << 8;
  if (tail >= 1) k ^= input.charCodeAt(blocks);
  return finish(h, k, tail, length);
}

function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  const length = bytes.length;
  let h = seed >>> 0;
  const blocks = length - (length % 4);
  for (let i = 0; i < blocks; i += 4) h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  const tail = length & 3;
  let k = 0;
  if (tail === 3) k ^= bytes[blocks + 2]! << 16;
  if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
  if (tail >= 1) k ^= bytes[blocks]!;
  return finish(h, k, tail, length);
}

function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, k: number, tail: number, length: number): number {
  if (tail > 0) h ^= scramble(k);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Per flag key, the hash seeds for its two purposes (a flag key is hashed once, not per subject). */
const seeds = new Map<string, { rollout: number; variant: number }>();
function seedsOf(flagKey: string) {
  let found = seeds.get(flagKey);
  if (!found) {
    if (seeds.size >= 10_000) seeds.clear();
    found = { rollout: murmur3(`${flagKey}\u0000rollout`), variant: murmur3(`${flagKey}\u0000variant`) };
    seeds.set(flagKey, found);
  }
  return found;
}

/**
 * The subject's sticky bucket (0–9,999) for one flag: a hash of the subject's id seeded by a
 * hash of the flag key. Rollout and variant choice use different seeds, so being in a rollout
 * says nothing about the variant served.
 */
export function bucketOf(flagKey: string, bucketingKey: string, purpose: 'rollout' | 'variant'): number {
  return murmur3(bucketingKey, seedsOf(flagKey)[purpose]) % BUCKETS;
}

/** The id a subject is bucketed by: the user, else the anonymous client's stable id. */
export function bucketingKeyOf(subject: FlagSubject): string | undefined {
  return subject.userId || subject.clientId || undefined;
}

/** The weighted variant for a bucketing key; keyless subjects all share one (the empty key's). */
export function variantFor(flag: Pick<FlagDefinition, 'key' | 'variants'>, bucketingKey: string | undefined): FlagVariant | undefined {
  if (flag.variants.length === 0) return undefined;
  const bucket = bucketOf(flag.key, bucketingKey ?? '', 'variant');
  let upper = 0;
  for (const variant of flag.variants) {
    upper += variant.weight * (BUCKETS / 100);
    if (bucket < upper) return variant;
  }
  // Weights sum to 100 when stored; this only guards a malformed definition.
  return flag.variants[flag.variants.length - 1];
}

function emailDomainOf(email: string | null | undefined): string | undefined {
  const at = email ? email.lastIndexOf('@') : -1;
  return at >= 0 ? email!.slice(at + 1).toLowerCase() : undefined;
}

/** Long value lists (user ids) are looked up through a Set built once per rule object. */
const valueSets = new WeakMap<TargetingRule, Set<unknown>>();
function hasValue(rule: TargetingRule, value: unknown): boolean {
  if (rule.values.length <= 8) return (rule.values as unknown[]).includes(value);
  let set = valueSets.get(rule);
  if (!set) valueSets.set(rule, (set = new Set(rule.values)));
  return set.has(value);
}

export function ruleMatches(rule: TargetingRule, subject: FlagSubject): boolean {
  switch (rule.kind) {
    case 'ROLE_IN':
      return !!subject.role && hasValue(rule, subject.role);
    case 'USER_ID_IN':
      return !!subject.userId && hasValue(rule, subject.userId);
    case 'EMAIL_DOMAIN_IN': {
      const domain = emailDomainOf(subject.email);
      return !!domain && hasValue(rule, domain);
    }
    case 'ATTRIBUTE_EQUALS': {
      const value = rule.attribute ? subject.attributes?.[rule.attribute] : undefined;
      return value !== undefined && value === rule.values[0];
    }
    case 'ATTRIBUTE_IN': {
      const value = rule.attribute ? subject.attributes?.[rule.attribute] : undefined;
      return value !== undefined && hasValue(rule, value);
    }
    default:
      return false;
  }
}

/** Whether evaluating this flag may need the subject's email (callers that look emails up lazily ask first). */
export const needsEmail = (flag: Pick<FlagDefinition, 'enabled' | 'rules'>) => flag.enabled && flag.rules.some((r) => r.kind === 'EMAIL_DOMAIN_IN');

function result(flag: FlagDefinition, enabled: boolean, reason: FlagEvaluation['reason'], variant?: FlagVariant, ruleIndex: number | null = null): FlagEvaluation {
  return {
    key: flag.key,
    enabled,
    variant: variant ? variant.key : null,
    value: variant ? (variant.value ?? null) : null,
    reason,
    ruleIndex,
    version: flag.version,
  };
}

/** Evaluates one flag for one subject: disabled → targeting rules → rollout → variant. */
export function evaluateFlag(flag: FlagDefinition, subject: FlagSubject = {}): FlagEvaluation {
  if (!flag.enabled) return result(flag, false, 'DISABLED');
  const bucketingKey = bucketingKeyOf(subject);
  for (let i = 0; i < flag.rules.length; i++) {
    const rule = flag.rules[i]!;
    if (!ruleMatches(rule, subject)) continue;
    if (!rule.enabled) return result(flag, false, 'RULE_MATCH', undefined, i);
    const fixed = rule.variant ? flag.variants.find((v) => v.key === rule.variant) : undefined;
    return result(flag, true, 'RULE_MATCH', fixed ?? variantFor(flag, bucketingKey), i);
  }
  if (flag.rolloutPercentage <= 0) return result(flag, false, 'NOT_IN_ROLLOUT');
  if (flag.rolloutPercentage < 100) {
    // A partial rollout needs a stable id; without one the subject stays out rather than flapping.
    if (!bucketingKey) return result(flag, false, 'NO_BUCKETING_KEY');
    if (bucketOf(flag.key, bucketingKey, 'rollout') >= flag.rolloutPercentage * (BUCKETS / 100)) return result(flag, false, 'NOT_IN_ROLLOUT');
  }
  return result(flag, true, 'ROLLOUT', variantFor(flag, bucketingKey));
}
