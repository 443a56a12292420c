import { allow, hasRole, isAuthenticated, rule, selfOrAdmin, type IRuleTypeMap } from '@voiceassist/auth';
import { unauthenticated } from '@voiceassist/errors';
import type { IdentityContext } from './context.js';

type UserParent = { id: string };

const signedIn = (ctx: IdentityContext, user: UserParent) => ctx.viewer !== null || ctx.signedInNow.has(user.id);

/** Public profile fields: any signed-in caller, or the anonymous caller who has just signed in as this user. */
const canSeeProfile = rule('canSeeProfile', { cache: 'strict' })((parent: UserParent, _args, ctx: IdentityContext) =>
  signedIn(ctx, parent) ? true : unauthenticated(),
);

/** Private fields: the user themself and ADMIN+, and the caller who has just signed in as this user. */
const isSelfOrAdminOrSigningIn = rule('isSelfOrAdminOrSigningIn', { cache: 'strict' })((parent: UserParent, _args, ctx: IdentityContext) =>
  ctx.signedInNow.has(parent.id) ? true : selfOrAdmin(ctx.viewer, parent.id),
);

/** A person's export: the person and ADMIN+ (also when another subgraph's entity lookup reaches it). */
const isSelfOrAdminExport = rule('isSelfOrAdminExport', { cache: 'strict' })((parent: { userId: string }, _args, ctx: IdentityContext) =>
  selfOrAdmin(ctx.viewer, parent.userId),
);

// Federation's own fields are added by createPermissions; everything not listed here is denied.
export const permissions: IRuleTypeMap = {
  Query: {
    me: allow,
    user: isAuthenticated,
    users: hasRole('ADMIN'),
    auditLog: hasRole('ADMIN'),
    verifyAuditLog: hasRole('ADMIN'),
    erasureStatus: hasRole('ADMIN'),
    // Self or ADMIN+ is checked against the argument in the resolver, and on the entity's fields.
    exportMyData: isAuthenticated,
  },
  Mutation: {
    register: allow,
    login: allow,
    refreshToken: allow,
    // Holding a refresh token is enough to end its session, even with an expired access token.
    logout: allow,
    logoutEverywhere: isAuthenticated,
    updateMe: isAuthenticated,
    changePassword: isAuthenticated,
    updateSettings: isAuthenticated,
    updateUser: hasRole('ADMIN'),
    deleteUser: hasRole('ADMIN'),
    deleteMe: isAuthenticated,
    rotateSigningKey: hasRole('SUPERADMIN'),
  },
  // Applies inside `_entities` too, so other subgraphs get no more than a direct caller would.
  User: { '*': canSeeProfile, email: isSelfOrAdminOrSigningIn, lastLoginAt: isSelfOrAdminOrSigningIn, settings: isSelfOrAdminOrSigningIn },
  // Reachable only through the fields above, which carry the checks.
  AuthPayload: allow,
  PageInfo: allow,
  UserConnection: allow,
  UserEdge: allow,
  AuditEvent: allow,
  AuditEventEdge: allow,
  AuditEventConnection: allow,
  AuditVerification: allow,
  // Entities: the rules hold for `_entities` lookups from the router as well.
  ErasureStatus: { '*': hasRole('ADMIN') },
  ErasureProgress: allow,
  DataExport: { '*': isSelfOrAdminExport },
};
