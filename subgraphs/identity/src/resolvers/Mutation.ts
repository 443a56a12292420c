import type { Role } from '@voiceassist/auth';
import type { AuthResult } from '../accounts.js';
import { originOf, viewerOf, type IdentityContext } from '../context.js';

/** The caller has just proven who they are: let them read their own user in the payload. */
function signedIn(ctx: IdentityContext, result: AuthResult): AuthResult {
  ctx.signedInNow.add(result.user.id);
  ctx.userLoader.prime(result.user.id, result.user);
  return result;
}

export const Mutation = {
  register: async (_: unknown, { input }: { input: { email: string; password: string; displayName: string } }, ctx: IdentityContext) =>
    signedIn(ctx, await ctx.identity.accounts.register(input, originOf(ctx))),

  login: async (_: unknown, { email, password }: { email: string; password: string }, ctx: IdentityContext) =>
    signedIn(ctx, await ctx.identity.accounts.login(email, password, originOf(ctx))),

  refreshToken: async (_: unknown, { refreshToken }: { refreshToken: string }, ctx: IdentityContext) =>
    signedIn(ctx, await ctx.identity.accounts.refresh(refreshToken, originOf(ctx))),

  logout: (_: unknown, { refreshToken }: { refreshToken?: string | null }, ctx: IdentityContext) =>
    ctx.identity.accounts.logout(ctx.viewer, refreshToken, originOf(ctx)),

  logoutEverywhere: (_: unknown, __: unknown, ctx: IdentityContext) => ctx.identity.accounts.logoutEverywhere(viewerOf(ctx), originOf(ctx)),

  updateMe: (_: unknown, { input }: { input: { displayName?: string | null } }, ctx: IdentityContext) =>
    ctx.identity.accounts.updateMe(viewerOf(ctx), input, originOf(ctx)),

  changePassword: (_: unknown, args: { currentPassword: string; newPassword: string }, ctx: IdentityContext) =>
    ctx.identity.accounts.changePassword(viewerOf(ctx), args.currentPassword, args.newPassword, originOf(ctx)),

  updateSettings: (_: unknown, { settings }: { settings: unknown }, ctx: IdentityContext) =>
    ctx.identity.accounts.updateSettings(viewerOf(ctx), settings, originOf(ctx)),

  updateUser: (_: unknown, { id, input }: { id: string; input: { role?: Role | null; active?: boolean | null; displayName?: string | null } }, ctx: IdentityContext) =>
    ctx.identity.admin.updateUser(viewerOf(ctx), id, input, originOf(ctx)),

  deleteUser: (_: unknown, { id }: { id: string }, ctx: IdentityContext) => ctx.identity.admin.deleteUser(viewerOf(ctx), id, originOf(ctx)),

  deleteMe: (_: unknown, { password }: { password: string }, ctx: IdentityContext) => ctx.identity.admin.deleteMe(viewerOf(ctx), password, originOf(ctx)),

  rotateSigningKey: (_: unknown, __: unknown, ctx: IdentityContext) => {
    viewerOf(ctx);
    return ctx.identity.admin.rotateSigningKey(originOf(ctx));
  },
};
