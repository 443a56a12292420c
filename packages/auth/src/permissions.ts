import type { GraphQLSchema } from 'graphql';
import { allow, type or, rule, shield, type IRules } from 'graphql-shield';
import { forbidden, unauthenticated } from '@voiceassist/errors';
import { hasAtLeast, type Role, type Viewer } from './roles.js';

export { allow, and, chain, deny, not, or, rule } from 'graphql-shield';
/** graphql-shield does not export these from its entry point. */
export type ShieldRule = Parameters<typeof or>[number];
export type IRuleFieldMap = Record<string, ShieldRule>;
export type IRuleTypeMap = Record<string, ShieldRule | IRuleFieldMap>;
export type { IRules };

export interface AuthContext {
  viewer: Viewer | null;
}

export const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })(
  (_parent, _args, ctx: AuthContext) => (ctx.viewer ? true : unauthenticated()),
);

/** The user themself or ADMIN+: true, else the error to answer with. */
export function selfOrAdmin(viewer: Viewer | null, userId: string) {
  if (!viewer) return unauthenticated();
  return viewer.userId === userId || hasAtLeast(viewer.role, 'ADMIN') ? true : forbidden();
}

/** A user's private fields (the parent carries the user's `id`): only that user and ADMIN+ may read them. */
export const isSelfOrAdmin = rule('isSelfOrAdmin', { cache: 'strict' })((parent: { id: string }, _args, ctx: AuthContext) => selfOrAdmin(ctx.viewer, parent.id));

const roleRules = new Map<Role, ShieldRule>();
/** Allows callers whose role is `minimum` or higher. */
export function hasRole(minimum: Role): ShieldRule {
  let existing = roleRules.get(minimum);
  if (!existing) {
    existing = rule(`hasRole:${minimum}`, { cache: 'contextual' })((_parent, _args, ctx: AuthContext) => {
      if (!ctx.viewer) return unauthenticated();
      return hasAtLeast(ctx.viewer.role, minimum) ? true : forbidden();
    });
    roleRules.set(minimum, existing);
  }
  return existing;
}

/**
 * Federation's own fields: the router must be able to read the SDL and resolve entities.
 * Shield refuses rules for fields a schema lacks, so only those present are listed.
 */
function federationRules(schema: GraphQLSchema): IRuleTypeMap {
  const query = schema.getQueryType()?.getFields() ?? {};
  const rules: IRuleTypeMap = { Query: {} };
  for (const field of ['_service', '_entities']) if (query[field]) (rules.Query as IRuleFieldMap)[field] = allow;
  if (schema.getType('_Service')) rules._Service = allow;
  return rules;
}

const denyByDefault = rule('denyByDefault', { cache: 'no_cache' })(() => false);

function mergeRuleTrees(a: IRuleTypeMap, b: IRuleTypeMap): IRuleTypeMap {
  const out: IRuleTypeMap = { ...a };
  for (const [type, rules] of Object.entries(b)) {
    const existing = out[type];
    out[type] =
      existing && isFieldMap(existing) && isFieldMap(rules) ? { ...existing, ...rules } : rules;
  }
  return out;
}

function isFieldMap(value: ShieldRule | IRuleFieldMap): value is IRuleFieldMap {
  return typeof value === 'object' && value !== null && !('resolve' in value);
}

/** The rules shield applies to a schema: the subgraph's own plus federation's fields. */
export function permissionRuleTree(rules: IRuleTypeMap, schema: GraphQLSchema): IRuleTypeMap {
  return mergeRuleTrees(rules, federationRules(schema));
}

/**
 * Whether shield lets every caller read this field without a check: its rule (the field's own,
 * the type's wildcard, or the type's) in the tree from permissionRuleTree is `allow`.
 */
export function isAlwaysAllowed(tree: IRuleTypeMap, typeName: string, fieldName: string): boolean {
  const typeRules = tree[typeName];
  if (!typeRules) return false;
  if (!isFieldMap(typeRules)) return typeRules === allow;
  return (typeRules[fieldName] ?? typeRules['*']) === allow;
}

/**
 * graphql-shield with default deny. A field without a rule is refused: UNAUTHENTICATED for
 * anonymous callers, FORBIDDEN otherwise. Errors thrown by resolvers pass through unchanged.
 */
export function createPermissions(rules: IRuleTypeMap, schema: GraphQLSchema) {
  return shield(permissionRuleTree(rules, schema) as IRules, {
    fallbackRule: denyByDefault,
    allowExternalErrors: true,
    debug: false,
    fallbackError: (_error, _parent, _args, ctx) => ((ctx as unknown as AuthContext).viewer ? forbidden() : unauthenticated()),
  });
}

