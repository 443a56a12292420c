import type { Role } from '@voiceassist/auth';
import { evaluateFlag, needsEmail, type FlagDefinition, type FlagEvaluation, type FlagSubject } from '@voiceassist/flags-client/evaluate';
import type { StreamItem } from './change-streams.js';
import type { FlagChangeRecord } from './store.js';
import { canSee } from './visibility.js';

/** The caller flags are evaluated for: role, user and attributes from the request, the email fetched only if a rule needs it. */
export interface Caller {
  role: Role | null;
  subject: FlagSubject;
  ensureEmail(): Promise<void>;
}

export interface FlagChangeEvent {
  version: number;
  kind: 'SNAPSHOT' | 'UPDATED' | 'DELETED';
  key: string | null;
  evaluation: FlagEvaluation | null;
  flags: FlagEvaluation[] | null;
}

/** The flags this caller may see (optionally only `keys`), evaluated for them. INTERNAL never passes. */
export async function evaluateForCaller(flags: FlagDefinition[], caller: Caller, keys?: ReadonlySet<string>): Promise<FlagEvaluation[]> {
  const visible = flags.filter((flag) => canSee(caller.role, flag.visibility) && (!keys || keys.has(flag.key)));
  if (visible.some(needsEmail)) await caller.ensureEmail();
  return visible.map((flag) => evaluateFlag(flag, caller.subject));
}

/**
 * One change as this caller sees it: UPDATED with their evaluation when they can see the flag
 * after it, DELETED when they could see it before but not after (deleted, or now hidden from
 * them), nothing when they could see it neither before nor after.
 */
export async function changeForCaller(change: FlagChangeRecord, caller: Caller, keys?: ReadonlySet<string>): Promise<FlagChangeEvent | null> {
  if (keys && !keys.has(change.key)) return null;
  if (change.after && canSee(caller.role, change.after.visibility)) {
    const [evaluation] = await evaluateForCaller([change.after], caller);
    return { version: change.version, kind: 'UPDATED', key: change.key, evaluation: evaluation!, flags: null };
  }
  if (change.before && canSee(caller.role, change.before.visibility)) {
    return { version: change.version, kind: 'DELETED', key: change.key, evaluation: null, flags: null };
  }
  return null;
}

export async function streamItemForCaller(item: StreamItem, caller: Caller, keys?: ReadonlySet<string>): Promise<FlagChangeEvent | null> {
  switch (item.type) {
    case 'snapshot':
      return {
        version: item.snapshot.version,
        kind: 'SNAPSHOT',
        key: null,
        evaluation: null,
        flags: await evaluateForCaller(item.snapshot.flags, caller, keys),
      };
    case 'change':
      return changeForCaller(item.change, caller, keys);
    default:
      throw item.error;
  }
}
