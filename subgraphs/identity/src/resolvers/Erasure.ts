import { hasAtLeast } from '@voiceassist/auth';
import { isUuid } from '@voiceassist/database';
import { forbidden, notFound } from '@voiceassist/errors';
import { viewerOf, type IdentityContext } from '../context.js';
import type { DataExportResolvers, ErasureStatusResolvers } from './resolvers-types.js';
import type { ErasureStatusParent, DataExportParent } from './mappers.js';

/** Null when the user was never deleted. Identity's own part is done in the deletion's transaction. */
export async function erasureStatusOf(ctx: IdentityContext, userId: string): Promise<ErasureStatusParent | null> {
  if (!isUuid(userId)) return null;
  const found = await ctx.identity.erasures.status(userId);
  if (!found) return null;
  const { erasure } = found;
  return { userId, requestedAt: erasure.requestedAt, completedAt: erasure.completedAt, identity: { state: 'DONE', at: erasure.requestedAt } };
}

/** The caller's own export, or (ADMIN+) anyone's; NOT_FOUND for no such user. */
export async function dataExportOf(ctx: IdentityContext, userId: string | null | undefined): Promise<DataExportParent> {
  const viewer = viewerOf(ctx);
  const target = userId ?? viewer.userId;
  if (target !== viewer.userId && !hasAtLeast(viewer.role, 'ADMIN')) throw forbidden('Only an ADMIN can export another user’s data');
  if (!isUuid(target) || !(await ctx.userLoader.load(target))) throw notFound('User');
  return { userId: target, exportedAt: new Date() };
}

export const ErasureStatus = {
  __resolveReference: (reference, ctx) => erasureStatusOf(ctx, reference.userId),
} satisfies ErasureStatusResolvers;

export const DataExport = {
  __resolveReference: (reference) => ({ userId: reference.userId, exportedAt: new Date() }),
  identity: (parent, _, ctx) => ctx.identity.exportData(parent.userId),
} satisfies DataExportResolvers;
