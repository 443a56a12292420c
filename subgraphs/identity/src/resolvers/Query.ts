import { isRole } from '@voiceassist/auth';
import { badUserInput } from '@voiceassist/errors';
import { viewerOf, type IdentityContext } from '../context.js';
import type { AuditEventRow, UserRow } from '../db/schema.js';
import { decodeCursor, encodeCursor, pageSize, toConnection } from '../pagination.js';
import { isUuid } from '../users.js';

const userCursor = (row: UserRow) => encodeCursor('user', [row.createdAt.toISOString(), row.id]);
const auditCursor = (row: AuditEventRow) => encodeCursor('audit', [row.id]);

function userPosition(after: string | null | undefined) {
  const position = decodeCursor('user', after);
  if (!position) return undefined;
  const [createdAt, id] = position;
  const date = typeof createdAt === 'string' ? new Date(createdAt) : undefined;
  if (!date || Number.isNaN(date.getTime()) || typeof id !== 'string' || !isUuid(id)) throw badUserInput('after is not a valid cursor', 'after');
  return { createdAt: date, id };
}

function auditPosition(after: string | null | undefined) {
  const position = decodeCursor('audit', after);
  if (!position) return undefined;
  const [id] = position;
  if (!Number.isSafeInteger(id)) throw badUserInput('after is not a valid cursor', 'after');
  return id as number;
}

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
    const limit = pageSize(args.first);
    if (args.search && args.search.length > 200) throw badUserInput('search must be at most 200 characters', 'search');
    const rows = await ctx.identity.users.list({
      limit: limit + 1,
      after: userPosition(args.after),
      search: args.search ?? undefined,
      role: isRole(args.role) ? args.role : undefined,
    });
    return toConnection(rows, limit, userCursor);
  },

  auditLog: async (_: unknown, args: PageArgs & { actorId?: string | null; action?: string | null }, ctx: IdentityContext) => {
    const limit = pageSize(args.first);
    if (args.actorId && !isUuid(args.actorId)) throw badUserInput('actorId must be a user id', 'actorId');
    const rows = await ctx.identity.audit.list({
      limit: limit + 1,
      before: auditPosition(args.after),
      actorId: args.actorId ?? undefined,
      action: args.action ?? undefined,
    });
    return toConnection(rows, limit, auditCursor);
  },

  verifyAuditLog: (_: unknown, __: unknown, ctx: IdentityContext) => ctx.identity.audit.verify(),
};
