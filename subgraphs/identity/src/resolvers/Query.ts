import { isRole } from '@voiceassist/auth';
import { badUserInput } from '@voiceassist/errors';
import { connectionOf, cursorDate, cursorInteger, cursorString, pageRequest } from '@voiceassist/pagination';
import { viewerOf } from '../context.js';
import type { QueryResolvers } from './resolvers-types.js';
import type { AuditEventRow, UserRow } from '../db/schema.js';
import { dataExportOf, erasureStatusOf } from './Erasure.js';
import { isUuid } from '@voiceassist/database';

const USER_CURSOR = 'user';
const AUDIT_CURSOR = 'audit';
const userPosition = (row: UserRow) => [row.createdAt.toISOString(), row.id];
const auditPosition = (row: AuditEventRow) => [row.id];

export const Query = {
  me: (_, __, ctx) => (ctx.viewer ? ctx.userLoader.load(ctx.viewer.userId) : null),

  user: (_, { id }, ctx) => {
    viewerOf(ctx);
    return isUuid(id) ? ctx.userLoader.load(id) : null;
  },

  users: async (_, args, ctx) => {
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

  auditLog: async (_, args, ctx) => {
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

  verifyAuditLog: (_, __, ctx) => ctx.identity.audit.verify(),

  erasureStatus: (_, { userId }, ctx) => {
    viewerOf(ctx);
    return erasureStatusOf(ctx, userId);
  },

  exportMyData: (_, { userId }, ctx) => dataExportOf(ctx, userId),
} satisfies QueryResolvers;
