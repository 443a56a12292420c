import { isRole } from '@voiceassist/auth';
import { badUserInput } from '@voiceassist/errors';
import { connectionOf, cursorDate, cursorInteger, cursorString, pageRequest } from '@voiceassist/pagination';
import { viewerOf, type IdentityContext } from '../context.js';
import type { AuditEventRow, UserRow } from '../db/schema.js';
import { dataExportOf, erasureStatusOf } from './Erasure.js';
import { isUuid } from '@voiceassist/database';

const USER_CURSOR = 'user';
const AUDIT_CURSOR = 'audit';
const userPosition = (row: UserRow) => [row.createdAt.toISOString(), row.id];
const auditPosition = (row: AuditEventRow) => [row.id];

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export const Query = {
  me: (_: unknown, __: unknown, ctx: IdentityContext) => (ctx.viewer ? ctx.userLoader.load(ctx.viewer.userId) : null),

  user: (_: unknown, { id }: { id: string }, ctx: IdentityContext) => {
    viewerOf(ctx);
    return isUuid(id) ? ctx.userLoader.load(id) : null;
  },

  users: async (_: unknown, args: PageArgs & { search?: string | null; role?: string | null }, ctx: IdentityContext) => {
    const page = pageRequest(USER_CURSOR, args);
    if (args.search && args.search.length > 200) throw badUserInput('search must be at most 200 characters', 'search');
    const rows = await ctx.identity.users.list({
      limit: page.limit + 1,
      after: page.after && { createdAt: cursorDate(page.after[0]), id: cursorString(page.after[1], isUuid) },
      search: args.search ?? undefined,
      role: isRole(args.role) ? args.role : undefined,
    });
    return connectionOf(rows, page.limit, userPosition, USER_CURSOR);
  },

  auditLog: async (_: unknown, args: PageArgs & { actorId?: string | null; action?: string | null }, ctx: IdentityContext) => {
    const page = pageRequest(AUDIT_CURSOR, args);
    if (args.actorId && !isUuid(args.actorId)) throw badUserInput('actorId must be a user id', 'actorId');
    const rows = await ctx.identity.audit.list({
      limit: page.limit + 1,
      before: page.after && cursorInteger(page.after[0]),
      actorId: args.actorId ?? undefined,
      action: args.action ?? undefined,
    });
    return connectionOf(rows, page.limit, auditPosition, AUDIT_CURSOR);
  },

  verifyAuditLog: (_: unknown, __: unknown, ctx: IdentityContext) => ctx.identity.audit.verify(),

  erasureStatus: (_: unknown, { userId }: { userId: string }, ctx: IdentityContext) => {
    viewerOf(ctx);
    return erasureStatusOf(ctx, userId);
  },

  exportMyData: (_: unknown, { userId }: { userId?: string | null }, ctx: IdentityContext) => dataExportOf(ctx, userId),
};
