/**
 * A feature flag as the flags subgraph stores it and the backend flags client evaluates it.
 * Plain JSON (dates as ISO strings), so the same object travels over pub/sub, the backend feed
 * and into change history unchanged.
 */

/** Who may see a flag: anonymous callers PUBLIC; signed-in users also AUTHENTICATED; ADMIN+ also ADMIN. INTERNAL stays in the backend. */
export const FLAG_VISIBILITIES = ['PUBLIC', 'AUTHENTICATED', 'ADMIN', 'INTERNAL'] as const;
export type FlagVisibility = (typeof FLAG_VISIBILITIES)[number];

export const TARGETING_RULE_KINDS = ['ROLE_IN', 'USER_ID_IN', 'EMAIL_DOMAIN_IN', 'ATTRIBUTE_EQUALS', 'ATTRIBUTE_IN'] as const;
export type TargetingRuleKind = (typeof TARGETING_RULE_KINDS)[number];

/** What attribute rules compare against: scalars only. */
export type AttributeValue = string | number | boolean;

/**
 * The first rule that matches decides: it serves `enabled`, with `variant` when set (else the
 * subject's weighted variant). Role, user id and email domain come from the verified caller;
 * attributes are whatever the caller (or the backend) passes, so never use them for access control.
 */
export interface TargetingRule {
  kind: TargetingRuleKind;
  /** ATTRIBUTE_EQUALS / ATTRIBUTE_IN only: the attribute's name. */
  attribute: string | null;
  /** Roles, user ids, lower-case email domains, or attribute values (one for ATTRIBUTE_EQUALS). */
  values: AttributeValue[];
  enabled: boolean;
  variant: string | null;
}

export interface FlagVariant {
  key: string;
  /** Percent of subjects; a flag's variant weights sum to 100. */
  weight: number;
  /** Free-form JSON payload served with the variant. */
  value: unknown;
}

export interface FlagDefinition {
  key: string;
  description: string;
  enabled: boolean;
  visibility: FlagVisibility;
  variants: FlagVariant[];
  rules: TargetingRule[];
  /** 0–100: the share of subjects (by sticky bucket) that get the flag when no rule matched. */
  rolloutPercentage: number;
  /** The global change version that last wrote this flag. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Who a flag is evaluated for. Bucketing uses `userId`, else `clientId` (a stable id an anonymous client keeps). */
export interface FlagSubject {
  userId?: string | null | undefined;
  clientId?: string | null | undefined;
  role?: string | null | undefined;
  email?: string | null | undefined;
  attributes?: Readonly<Record<string, unknown>> | null | undefined;
}

/** Which step decided an evaluation, in evaluation order. */
export const EVALUATION_REASONS = ['DISABLED', 'RULE_MATCH', 'ROLLOUT', 'NOT_IN_ROLLOUT', 'NO_BUCKETING_KEY'] as const;
export type EvaluationReason = (typeof EVALUATION_REASONS)[number];

export interface FlagEvaluation {
  key: string;
  enabled: boolean;
  /** The variant served, when the flag has variants and is enabled for the subject. */
  variant: string | null;
  /** The served variant's payload (null without one). */
  value: unknown;
  reason: EvaluationReason;
  /** Index of the rule that decided, for RULE_MATCH. */
  ruleIndex: number | null;
  version: number;
}
