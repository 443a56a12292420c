import { eq } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { badUserInput } from '@voiceassist/errors';
import { preferences } from './db/schema.js';
import { checkRate } from './speech.js';

export interface StoredPreferences {
  /** null: the engine's default. */
  voice: string | null;
  rate: number;
  updatedAt: Date | null;
}

export interface PreferencesInput {
  voice?: string | null;
  rate?: number | null;
}

export interface Preferences {
  get(userId: string): Promise<StoredPreferences>;
  update(userId: string, input: PreferencesInput): Promise<StoredPreferences>;
}

const DEFAULTS: StoredPreferences = { voice: null, rate: 1, updatedAt: null };

export function createPreferences(db: Database, isVoice: (id: string) => Promise<boolean>): Preferences {
  async function get(userId: string): Promise<StoredPreferences> {
    const [row] = await db.select().from(preferences).where(eq(preferences.userId, userId));
    return row ? { voice: row.voice, rate: row.rate, updatedAt: row.updatedAt } : DEFAULTS;
  }
  return {
    get,
    async update(userId, input) {
      const changes: { voice?: string | null; rate?: number } = {};
      if (input.voice !== undefined) {
        const voice = input.voice?.trim() || null;
        if (voice && !(await isVoice(voice))) throw badUserInput(`Unknown voice "${voice.slice(0, 100)}": see the voices query`, 'input.voice');
        changes.voice = voice;
      }
      if (input.rate !== undefined) changes.rate = input.rate === null ? 1 : checkRate(input.rate, 'input.rate');
      const updatedAt = new Date();
      const [row] = await db
        .insert(preferences)
        .values({ userId, voice: changes.voice ?? null, rate: changes.rate ?? 1, updatedAt })
        .onConflictDoUpdate({ target: preferences.userId, set: { ...changes, updatedAt } })
        .returning();
      return { voice: row!.voice, rate: row!.rate, updatedAt: row!.updatedAt };
    },
  };
}
