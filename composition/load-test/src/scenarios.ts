/**
 * Load shapes, each bounded in time. `stages` give the number of concurrent virtual users (each
 * sends one request after another) over fractions of the duration; `subscriptions` holds that
 * many graphql-ws subscriptions open instead. `maxErrorRate` decides success.
 */
export interface Scenario {
  name: string;
  description: string;
  durationSeconds: number;
  stages?: Array<{ untilFraction: number; users: number }>;
  subscriptions?: number;
  maxErrorRate: number;
}

export const SCENARIOS: Record<string, Scenario> = {
  smoke: { name: 'smoke', description: 'one user for 10 s: does it answer at all', durationSeconds: 10, stages: [{ untilFraction: 1, users: 1 }], maxErrorRate: 0 },
  load: { name: 'load', description: '20 users for 60 s: an ordinary busy day', durationSeconds: 60, stages: [{ untilFraction: 1, users: 20 }], maxErrorRate: 0.01 },
  stress: {
    name: 'stress',
    description: '20, 50, then 100 users over 120 s: where does it bend',
    durationSeconds: 120,
    stages: [
      { untilFraction: 1 / 3, users: 20 },
      { untilFraction: 2 / 3, users: 50 },
      { untilFraction: 1, users: 100 },
    ],
    maxErrorRate: 0.05,
  },
  spike: {
    name: 'spike',
    description: '5 users, a burst of 150 for a fifth of 60 s, then 5 again: does it recover',
    durationSeconds: 60,
    stages: [
      { untilFraction: 0.4, users: 5 },
      { untilFraction: 0.6, users: 150 },
      { untilFraction: 1, users: 5 },
    ],
    maxErrorRate: 0.05,
  },
  soak: { name: 'soak', description: '20 users for 30 minutes: leaks and slow drift', durationSeconds: 1_800, stages: [{ untilFraction: 1, users: 20 }], maxErrorRate: 0.01 },
  subscriptions: { name: 'subscriptions', description: '200 graphql-ws subscriptions held for 30 s: time to the first event', durationSeconds: 30, subscriptions: 200, maxErrorRate: 0.01 },
};

/** Concurrent users wanted at `elapsed` of `duration` (ms). */
export function usersAt(scenario: Scenario, elapsedMs: number): number {
  const fraction = elapsedMs / (scenario.durationSeconds * 1_000);
  return scenario.stages?.find((stage) => fraction < stage.untilFraction)?.users ?? 0;
}
