import type { Logger } from '@voiceassist/logging';
import type { Schedules } from './schedules.js';
import type { FlagChangeRecord, FlagStore } from './store.js';

export interface SchedulerOptions {
  schedules: Schedules;
  store: FlagStore;
  /** Hands each applied change to subscribers (after its transaction committed). */
  announce: (change: FlagChangeRecord) => void;
  logger: Logger;
  intervalMs: number;
  /** History older than this is pruned, checked every `pruneEveryMs`. */
  retentionMs: number;
  pruneEveryMs?: number;
}

export interface Scheduler {
  /** Stops the loop and waits for a tick in progress. */
  stop(): Promise<void>;
}

/**
 * Every replica runs one: each `intervalMs` it applies due scheduled changes (the database lock
 * makes each apply exactly once across replicas) and, now and then, prunes old history. The
 * first tick runs before start resolves, so changes that fell due while no replica ran apply at once.
 */
export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { schedules, store, logger } = options;
  const pruneEveryMs = options.pruneEveryMs ?? 60_000;
  let lastPrune = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const applyDue = async () => {
    while (!stopped && (await schedules.hasDue())) {
      const applied = await schedules.applyDue();
      for (const change of applied) {
        logger.info({ key: change.key, version: change.version, scheduledChangeId: change.scheduledChangeId }, 'scheduled flag change applied');
        options.announce(change);
      }
      // Nothing applied while some are due: another replica holds them.
      if (applied.length === 0) break;
    }
  };

  const prune = async () => {
    if (Date.now() - lastPrune < pruneEveryMs) return;
    lastPrune = Date.now();
    const deleted = await store.prune(new Date(Date.now() - options.retentionMs));
    if (deleted > 0) logger.info({ deleted }, 'pruned flag change history');
  };

  const tick = async () => {
    try {
      await applyDue();
      await prune();
    } catch (error) {
      logger.error({ err: error }, 'flag scheduler tick failed; retrying next tick');
    }
  };

  const loop = () => {
    if (stopped) return;
    running = tick().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(loop, options.intervalMs);
    });
  };

  await tick();
  timer = setTimeout(loop, options.intervalMs);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
