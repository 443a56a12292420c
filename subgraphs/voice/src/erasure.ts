import { asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { clinicalNotes, dictationChunks, dictationSessions, preferences } from './db/schema.js';
import type { VoiceSpeech } from './speech.js';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * What deleting a person means here: their speech preferences, dictation sessions with their
 * chunks and notes (one transaction), then the cached speech of everything they had read aloud
 * (this process's memory and Redis) and their speech rate-limit counter. A Redis failure fails
 * the erasure, so the consumer retries it rather than confirming with audio left behind.
 */
export function createVoiceErasure(deps: { db: Database; speech: Pick<VoiceSpeech, 'forget'> }) {
  const { db, speech } = deps;
  return {
    /** Idempotent: a second run finds nothing left. */
    async erase(userId: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(preferences).where(eq(preferences.userId, userId));
        // Chunks and notes go with their sessions (foreign keys cascade); notes by author too.
        await tx.delete(clinicalNotes).where(eq(clinicalNotes.userId, userId));
        await tx.delete(dictationSessions).where(eq(dictationSessions.userId, userId));
      });
      await speech.forget(userId);
    },

    /** Everything held about the person: preferences, dictations with their chunks' text and notes. */
    async exportData(userId: string) {
      const [prefs] = await db.select().from(preferences).where(eq(preferences.userId, userId));
      const sessions = await db.select().from(dictationSessions).where(eq(dictationSessions.userId, userId)).orderBy(asc(dictationSessions.createdAt), asc(dictationSessions.id));
      const ids = sessions.map((s) => s.id);
      const chunks = ids.length ? await db.select().from(dictationChunks).where(inArray(dictationChunks.sessionId, ids)).orderBy(asc(dictationChunks.seq)) : [];
      const notes = await db.select().from(clinicalNotes).where(eq(clinicalNotes.userId, userId));
      return {
        preferences: prefs ? { voice: prefs.voice, rate: prefs.rate, updatedAt: iso(prefs.updatedAt) } : null,
        dictations: sessions.map((s) => {
          const note = notes.find((n) => n.sessionId === s.id);
          return {
            id: s.id,
            kind: s.kind,
            status: s.status,
            durationMs: s.durationMs,
            createdAt: iso(s.createdAt),
            finishedAt: iso(s.finishedAt),
            chunks: chunks.filter((c) => c.sessionId === s.id).map((c) => ({ seq: c.seq, source: c.source, text: c.text, durationMs: c.durationMs, createdAt: iso(c.createdAt) })),
            note: note ? { id: note.id, kind: note.kind, sections: note.sections, transcript: note.transcript, rawTranscript: note.rawTranscript, generatedBy: note.generatedBy, createdAt: iso(note.createdAt) } : null,
          };
        }),
      };
    },
  };
}

export type VoiceErasure = ReturnType<typeof createVoiceErasure>;
