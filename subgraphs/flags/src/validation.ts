import { isRole } from '@voiceassist/auth';
import { badUserInput } from '@voiceassist/errors';
import {
  FLAG_VISIBILITIES,
  TARGETING_RULE_KINDS,
  type AttributeValue,
  type FlagDefinition,
  type FlagVariant,
  type FlagVisibility,
  type TargetingRule,
} from '@voiceassist/flags-client/evaluate';

/** Lower-case words of letters and digits joined by single dots or dashes: `conversation.rag`, `voice.new-asr`. */
export const FLAG_KEY_PATTERN = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
const MAX_KEY_LENGTH = 100;
const MAX_DESCRIPTION_LENGTH = 1_000;
const MAX_VARIANTS = 20;
const MAX_RULES = 50;
const MAX_RULE_VALUES = 1_000;
const MAX_VALUE_LENGTH = 256;
const MAX_VARIANT_PAYLOAD_BYTES = 16_384;
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const EMAIL_DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/** The parts of a flag an admin writes. */
export type FlagFields = Pick<FlagDefinition, 'key' | 'description' | 'enabled' | 'visibility' | 'variants' | 'rules' | 'rolloutPercentage'>;
export type FlagPatch = Partial<Omit<FlagFields, 'key'>>;

export interface VariantInput {
  key: string;
  weight: number;
  value?: unknown;
}
export interface RuleInput {
  kind: string;
  attribute?: string | null;
  values: unknown[];
  enabled?: boolean | null;
  variant?: string | null;
}
export interface CreateFlagInput {
  key: string;
  description?: string | null;
  enabled?: boolean | null;
  visibility: string;
  variants?: VariantInput[] | null;
  rules?: RuleInput[] | null;
  rolloutPercentage?: number | null;
}
export interface UpdateFlagInput {
  description?: string | null;
  enabled?: boolean | null;
  visibility?: string | null;
  variants?: VariantInput[] | null;
  rules?: RuleInput[] | null;
  rolloutPercentage?: number | null;
  /** Optimistic concurrency: the update is a CONFLICT unless the flag is still at this version. */
  expectedVersion?: number | null;
}

export function validateFlagKey(key: unknown, field: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || !FLAG_KEY_PATTERN.test(key)) {
    throw badUserInput(`${field} must be 1–${MAX_KEY_LENGTH} lower-case letters and digits, words joined by single dots or dashes (e.g. "conversation.rag")`, field);
  }
  return key;
}

export function validateKeyList(keys: unknown[] | null | undefined, field: string): string[] | undefined {
  if (keys === null || keys === undefined) return undefined;
  if (keys.length > 500) throw badUserInput(`${field} may name at most 500 flags`, field);
  return keys.map((key, i) => validateFlagKey(key, `${field}[${i}]`));
}

function validateDescription(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_DESCRIPTION_LENGTH) throw badUserInput(`${field} must be at most ${MAX_DESCRIPTION_LENGTH} characters`, field);
  return value.trim();
}

function validateVisibility(value: unknown, field: string): FlagVisibility {
  if (!(FLAG_VISIBILITIES as readonly unknown[]).includes(value)) throw badUserInput(`${field} must be one of ${FLAG_VISIBILITIES.join(', ')}`, field);
  return value as FlagVisibility;
}

function validatePercentage(value: unknown, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 100) throw badUserInput(`${field} must be an integer from 0 to 100`, field);
  return value as number;
}

function validateVariants(input: VariantInput[], field: string): FlagVariant[] {
  if (input.length > MAX_VARIANTS) throw badUserInput(`${field} may hold at most ${MAX_VARIANTS} variants`, field);
  const seen = new Set<string>();
  const variants = input.map((variant, i) => {
    const at = `${field}[${i}]`;
    const key = validateFlagKey(variant.key, `${at}.key`);
    if (seen.has(key)) throw badUserInput(`${at}.key "${key}" is used twice`, `${at}.key`);
    seen.add(key);
    if (!Number.isInteger(variant.weight) || variant.weight < 0 || variant.weight > 100) throw badUserInput(`${at}.weight must be an integer from 0 to 100`, `${at}.weight`);
    const value = variant.value ?? null;
    if (JSON.stringify(value).length > MAX_VARIANT_PAYLOAD_BYTES) throw badUserInput(`${at}.value must be at most ${MAX_VARIANT_PAYLOAD_BYTES} bytes of JSON`, `${at}.value`);
    return { key, weight: variant.weight, value };
  });
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (variants.length > 0 && total !== 100) throw badUserInput(`${field} weights must sum to 100 (they sum to ${total})`, field);
  return variants;
}

const isScalar = (value: unknown): value is AttributeValue =>
  (typeof value === 'string' && value.length <= MAX_VALUE_LENGTH) || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

function validateRule(rule: RuleInput, at: string): TargetingRule {
  if (!(TARGETING_RULE_KINDS as readonly string[]).includes(rule.kind)) throw badUserInput(`${at}.kind must be one of ${TARGETING_RULE_KINDS.join(', ')}`, `${at}.kind`);
  const kind = rule.kind as TargetingRule['kind'];
  const field = `${at}.values`;
  if (!Array.isArray(rule.values) || rule.values.length === 0) throw badUserInput(`${field} must name at least one value`, field);
  if (rule.values.length > MAX_RULE_VALUES) throw badUserInput(`${field} may hold at most ${MAX_RULE_VALUES} values`, field);
  const isAttributeRule = kind === 'ATTRIBUTE_EQUALS' || kind === 'ATTRIBUTE_IN';
  let attribute: string | null = null;
  if (isAttributeRule) {
    if (typeof rule.attribute !== 'string' || !ATTRIBUTE_NAME.test(rule.attribute)) throw badUserInput(`${at}.attribute must name an attribute (letters, digits, _ . -)`, `${at}.attribute`);
    attribute = rule.attribute;
  } else if (rule.attribute !== null && rule.attribute !== undefined) {
    throw badUserInput(`${at}.attribute applies only to ATTRIBUTE_EQUALS and ATTRIBUTE_IN rules`, `${at}.attribute`);
  }
  let values: AttributeValue[];
  switch (kind) {
    case 'ROLE_IN':
      if (!rule.values.every(isRole)) throw badUserInput(`${field} must be roles (VIEWER, USER, ADMIN, SUPERADMIN)`, field);
      values = rule.values as AttributeValue[];
      break;
    case 'USER_ID_IN':
      if (!rule.values.every((v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_VALUE_LENGTH)) throw badUserInput(`${field} must be user ids`, field);
      values = rule.values as string[];
      break;
    case 'EMAIL_DOMAIN_IN':
      values = rule.values.map((v) => {
        const domain = typeof v === 'string' ? v.trim().toLowerCase().replace(/^@/, '') : '';
        if (!EMAIL_DOMAIN.test(domain)) throw badUserInput(`${field} must be email domains such as "example.org"`, field);
        return domain;
      });
      break;
    case 'ATTRIBUTE_EQUALS':
      if (rule.values.length !== 1 || !isScalar(rule.values[0])) throw badUserInput(`${field} must hold exactly one string, number or boolean`, field);
      values = rule.values as AttributeValue[];
      break;
    default:
      if (!rule.values.every(isScalar)) throw badUserInput(`${field} must be strings, numbers or booleans`, field);
      values = rule.values as AttributeValue[];
  }
  const enabled = rule.enabled ?? true;
  const variant = rule.variant ?? null;
  if (variant !== null) {
    validateFlagKey(variant, `${at}.variant`);
    if (!enabled) throw badUserInput(`${at}.variant cannot be set on a rule that disables the flag`, `${at}.variant`);
  }
  return { kind, attribute, values: [...new Set(values)], enabled, variant };
}

function validateRules(input: RuleInput[], field: string): TargetingRule[] {
  if (input.length > MAX_RULES) throw badUserInput(`${field} may hold at most ${MAX_RULES} rules`, field);
  return input.map((rule, i) => validateRule(rule, `${field}[${i}]`));
}

/** Checks what depends on more than one field: a rule's fixed variant must be one of the flag's variants. */
export function validateConsistency(flag: Pick<FlagFields, 'variants' | 'rules'>, prefix: string, changed: FlagPatch = flag): void {
  const known = new Set(flag.variants.map((v) => v.key));
  flag.rules.forEach((rule, i) => {
    if (rule.variant !== null && !known.has(rule.variant)) {
      const field = changed.rules ? `${prefix}.rules[${i}].variant` : `${prefix}.variants`;
      throw badUserInput(`rule ${i} serves variant "${rule.variant}", which the flag does not have`, field);
    }
  });
}

export function validateCreate(input: CreateFlagInput, prefix = 'input'): FlagFields {
  const fields: FlagFields = {
    key: validateFlagKey(input.key, `${prefix}.key`),
    description: validateDescription(input.description ?? '', `${prefix}.description`),
    enabled: input.enabled ?? false,
    visibility: validateVisibility(input.visibility, `${prefix}.visibility`),
    variants: validateVariants(input.variants ?? [], `${prefix}.variants`),
    rules: validateRules(input.rules ?? [], `${prefix}.rules`),
    rolloutPercentage: validatePercentage(input.rolloutPercentage ?? 100, `${prefix}.rolloutPercentage`),
  };
  validateConsistency(fields, prefix);
  return fields;
}

/** Validates each field an update sets (null means "leave as is"); an update must set something. */
export function validatePatch(input: UpdateFlagInput, prefix = 'input'): FlagPatch {
  const patch: FlagPatch = {};
  if (input.description != null) patch.description = validateDescription(input.description, `${prefix}.description`);
  if (input.enabled != null) patch.enabled = input.enabled;
  if (input.visibility != null) patch.visibility = validateVisibility(input.visibility, `${prefix}.visibility`);
  if (input.variants != null) patch.variants = validateVariants(input.variants, `${prefix}.variants`);
  if (input.rules != null) patch.rules = validateRules(input.rules, `${prefix}.rules`);
  if (input.rolloutPercentage != null) patch.rolloutPercentage = validatePercentage(input.rolloutPercentage, `${prefix}.rolloutPercentage`);
  if (Object.keys(patch).length === 0) throw badUserInput(`${prefix} changes nothing`, prefix);
  return patch;
}

/** The flag with the patch applied, checked as a whole. */
export function applyPatch<T extends FlagFields>(flag: T, patch: FlagPatch, prefix = 'input'): T {
  const next = { ...flag, ...patch };
  validateConsistency(next, prefix, patch);
  return next;
}

/** A caller-supplied stable id for anonymous bucketing. */
export function validateClientId(value: unknown, field = 'clientId'): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\w.:@-]{1,128}$/.test(value)) throw badUserInput(`${field} must be 1–128 letters, digits or _ . : @ -`, field);
  return value;
}

/** Attributes a caller passes for ATTRIBUTE_* rules: a flat object of strings, numbers and booleans. */
export function validateAttributes(value: unknown, field = 'attributes'): Record<string, AttributeValue> | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badUserInput(`${field} must be an object`, field);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 50) throw badUserInput(`${field} may hold at most 50 attributes`, field);
  for (const [name, attribute] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || !isScalar(attribute)) throw badUserInput(`${field}.${name} must be a string, number or boolean under a simple name`, field);
  }
  return Object.fromEntries(entries) as Record<string, AttributeValue>;
}
