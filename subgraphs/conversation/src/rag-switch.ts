import type { Viewer } from '@voiceassist/auth';
import type { FlagsClient } from '@voiceassist/flags-client';

/**
 * Whether a reply may use retrieval: the `conversation.rag` feature flag, evaluated for the
 * caller by the flags client (in memory, following the flags subgraph's changes). The caller's
 * own `useKnowledge` still decides per message; retrieval is on while the flag is unknown.
 */
export type RagSwitch = (viewer: Viewer) => boolean | Promise<boolean>;

export const RAG_FLAG_KEY = 'conversation.rag';

export const ragAlwaysOn: RagSwitch = () => true;

export const ragFlag =
  (flags: FlagsClient): RagSwitch =>
  (viewer) =>
    flags.isEnabled(RAG_FLAG_KEY, { userId: viewer.userId, role: viewer.role }, true);
