import { allow, hasRole, type IRuleTypeMap } from '@voiceassist/auth';
import { erasureEntityPermissions } from '@voiceassist/subgraph-server/erasure-entities';

const admin = hasRole('ADMIN');

// Federation's own fields are added by createPermissions; everything not listed here is denied.
// Visibility (what each caller may see of flags) is applied by the resolvers, per caller and per event.
export const permissions: IRuleTypeMap = {
  Query: {
    flags: allow,
    featureFlags: admin,
    featureFlag: admin,
    flagHistory: admin,
    scheduledFlagChanges: admin,
  },
  Mutation: {
    createFlag: admin,
    updateFlag: admin,
    deleteFlag: admin,
    scheduleFlagChange: admin,
    cancelScheduledFlagChange: admin,
  },
  Subscription: { flagChanges: allow },
  // Applies inside `_entities` too, so other subgraphs get no more than a direct caller would.
  FeatureFlag: admin,
  // Reachable only through the fields above, which carry the checks.
  FlagVariant: allow,
  TargetingRule: allow,
  FlagEvaluation: allow,
  FlagChangeEvent: allow,
  FlagChange: allow,
  ScheduledFlagChange: allow,
  User: allow,
  ...erasureEntityPermissions,
};
