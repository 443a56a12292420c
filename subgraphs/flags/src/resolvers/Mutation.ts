import { badUserInput, notFound } from '@voiceassist/errors';
import { viewerOf } from '../context.js';
import { validateCreate, validateFlagKey, validatePatch } from '../validation.js';
import type { FlagDefinition } from '@voiceassist/flags-client/evaluate';
import type { FlagChangeRecord } from '../store.js';
import { assertMayWrite, mayManageInternal } from '../visibility.js';
import type { MutationResolvers } from './resolvers-types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A create or update always records the flag as written; the record's `after` is null only for a delete. */
function written(change: FlagChangeRecord): FlagDefinition {
  if (!change.after) throw new Error(`flag change ${change.version} recorded no definition`);
  return change.after;
}

export const Mutation = {
  createFlag: async (_, { input }, ctx) => {
    const actor = viewerOf(ctx);
    const fields = validateCreate(input);
    assertMayWrite(actor.role, fields.visibility);
    const change = await ctx.flags.store.create(fields, actor.userId);
    ctx.flags.announce(change);
    ctx.logger.info({ key: change.key, version: change.version }, 'flag created');
    return written(change);
  },

  updateFlag: async (_, args, ctx) => {
    const actor = viewerOf(ctx);
    const key = validateFlagKey(args.key, 'key');
    const patch = validatePatch(args.input);
    const change = await ctx.flags.store.update(key, patch, {
      actorId: actor.userId,
      expectedVersion: args.input.expectedVersion ?? undefined,
      authorize: (before) => assertMayWrite(actor.role, before.visibility, patch.visibility),
    });
    ctx.flags.announce(change);
    ctx.logger.info({ key, version: change.version }, 'flag updated');
    return written(change);
  },

  deleteFlag: async (_, args, ctx) => {
    const actor = viewerOf(ctx);
    const change = await ctx.flags.store.remove(validateFlagKey(args.key, 'key'), actor.userId, (before) => assertMayWrite(actor.role, before.visibility));
    ctx.flags.announce(change);
    ctx.logger.info({ key: change.key, version: change.version }, 'flag deleted');
    return true;
  },

  scheduleFlagChange: async (_, args, ctx) => {
    const actor = viewerOf(ctx);
    const key = validateFlagKey(args.key, 'key');
    if (args.input.expectedVersion != null) throw badUserInput('expectedVersion cannot be scheduled: the flag may change before then', 'input.expectedVersion');
    const patch = validatePatch(args.input);
    const scheduled = await ctx.flags.schedules.schedule(key, args.at, patch, actor.userId, (flag) => assertMayWrite(actor.role, flag.visibility, patch.visibility));
    ctx.logger.info({ key, scheduledChangeId: scheduled.id, at: scheduled.at.toISOString() }, 'flag change scheduled');
    return scheduled;
  },

  cancelScheduledFlagChange: async (_, { id }, ctx) => {
    const actor = viewerOf(ctx);
    if (!UUID.test(id)) throw notFound('Scheduled flag change');
    return ctx.flags.schedules.cancel(id, actor.userId, { includeInternal: mayManageInternal(actor.role) });
  },
} satisfies MutationResolvers;
