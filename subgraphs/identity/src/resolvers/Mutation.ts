import type { AuthResult } from '../accounts.js';
import { originOf, viewerOf, type IdentityContext } from '../context.js';
import type { MutationResolvers } from './resolvers-types.js';

/** The caller has just proven who they are: let them read their own user in the payload. */
function signedIn(ctx: IdentityContext, result: AuthResult): AuthResult {
  ctx.signedInNow.add(result.user.id);
  ctx.userLoader.prime(result.user.id, result.user);
  return result;
}

export const Mutation = {
  register: async (_, { input }, ctx) =>
    signedIn(ctx, await ctx.identity.accounts.register(input, originOf(ctx))),

  login: async (_, { email, password }, ctx) =>
    signedIn(ctx, await ctx.identity.accounts.login(email, password, originOf(ctx))),

  refreshToken: async (_, { refreshToken }, ctx) =>
    signedIn(ctx, await ctx.identity.accounts.refresh(refreshToken, originOf(ctx))),

  logout: (_, { refreshToken }, ctx) =>
    ctx.identity.accounts.logout(ctx.viewer, refreshToken, originOf(ctx)),

  logoutEverywhere: (_, __, ctx) => ctx.identity.accounts.logoutEverywhere(viewerOf(ctx), originOf(ctx)),

  updateMe: (_, { input }, ctx) =>
    ctx.identity.accounts.updateMe(viewerOf(ctx), input, originOf(ctx)),

  changePassword: (_, args, ctx) =>
    ctx.identity.accounts.changePassword(viewerOf(ctx), args.currentPassword, args.newPassword, originOf(ctx)),

  updateSettings: (_, { settings }, ctx) =>
    ctx.identity.accounts.updateSettings(viewerOf(ctx), settings, originOf(ctx)),

  updateUser: (_, { id, input }, ctx) =>
    ctx.identity.admin.updateUser(viewerOf(ctx), id, input, originOf(ctx)),

  deleteUser: (_, { id }, ctx) => ctx.identity.admin.deleteUser(viewerOf(ctx), id, originOf(ctx)),

  deleteMe: (_, { password }, ctx) => ctx.identity.admin.deleteMe(viewerOf(ctx), password, originOf(ctx)),

  rotateSigningKey: (_, __, ctx) => {
    viewerOf(ctx);
    return ctx.identity.admin.rotateSigningKey(originOf(ctx));
  },
} satisfies MutationResolvers;
