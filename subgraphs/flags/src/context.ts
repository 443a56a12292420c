import type { Viewer } from '@voiceassist/auth';
import { unauthenticated } from '@voiceassist/errors';
import type { RequestContext } from '@voiceassist/subgraph-server';
import type { ErasureEntitySource } from '@voiceassist/subgraph-server/erasure-entities';
import type { ChangeFeed } from './change-feed.js';
import type { ChangeStreams } from './change-streams.js';
import type { Caller } from './client-view.js';
import type { EmailLookup } from './emails.js';
import type { Schedules } from './schedules.js';
import type { FlagChangeRecord, FlagStore } from './store.js';
import { validateAttributes, validateClientId } from './validation.js';

export interface FlagsServices {
  store: FlagStore;
  schedules: Schedules;
  streams: ChangeStreams;
  feed: ChangeFeed;
  emails: EmailLookup;
  /** Hands a committed change to this replica's subscribers and publishes it to the others. */
  announce(change: FlagChangeRecord): void;
  /** This subgraph's part of a person's erasure status and data export. */
  erasure: ErasureEntitySource;
}

export interface FlagsContext extends RequestContext {
  flags: FlagsServices;
}

export function flagsContext(flags: FlagsServices) {
  return (base: RequestContext): FlagsContext => ({ ...base, flags });
}

/** Shield guards these fields already; this keeps the resolvers honest if a rule is ever loosened. */
export function viewerOf(ctx: FlagsContext): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

/**
 * Who flags are evaluated for. User, role and session come from the verified token; an
 * anonymous caller is bucketed by the `clientId` they send; attributes are theirs to send.
 */
export function callerOf(ctx: FlagsContext, args: { clientId?: unknown; attributes?: unknown }): Caller {
  const viewer = ctx.viewer;
  const clientId = validateClientId(args.clientId);
  const attributes = validateAttributes(args.attributes);
  const subject = { userId: viewer?.userId, clientId: viewer ? undefined : clientId, role: viewer?.role, email: undefined as string | null | undefined, attributes };
  let loading: Promise<void> | undefined;
  return {
    role: viewer?.role ?? null,
    subject,
    ensureEmail() {
      loading ??= (async () => {
        if (!viewer || !ctx.authorization) return;
        subject.email = await ctx.flags.emails.emailOf(viewer.userId, ctx.authorization, ctx.requestId);
      })();
      return loading;
    },
  };
}
