import { and, asc, eq, gt, lt, lte, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { badUserInput, conflict, internalError, notFound } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';
import type { AudioInput } from './audio-input.js';
import { clinicalNotes, dictationChunks, dictationSessions, type ClinicalNoteRow, type DictationSessionRow } from './db/schema.js';
import { SECTION_TITLES, type NoteKind, type NoteWriter } from './soap-note.js';
import { dictatedSections, editedText, replayDictation, type ChunkResult, type DictationState } from './dictation-commands.js';
import type { DictationEvent, DictationEvents } from './dictation-events.js';
import type { Hear } from './hearing.js';

export const MAX_CHUNK_CHARS = 10_000;
export const MAX_CHUNKS = 500;

/** Exactly one of the two. */
export interface DictationChunkInput {
  text?: string | null | undefined;
  audio?: AudioInput | null | undefined;
}

export interface Dictation {
  idleTimeoutMs: number;
  start(userId: string, kind: NoteKind): Promise<DictationSessionRow>;
  /** The caller's session (expiring it first if it has been idle too long), or null. */
  get(userId: string, id: string): Promise<DictationSessionRow | null>;
  /** The note so far: every chunk replayed in order, spoken commands applied. */
  progress(session: Pick<DictationSessionRow, 'id' | 'kind'>): Promise<DictationProgress>;
  append(userId: string, sessionId: string, chunk: DictationChunkInput): Promise<DictationSessionRow>;
  finish(userId: string, sessionId: string): Promise<ClinicalNoteRow>;
  note(userId: string, id: string): Promise<ClinicalNoteRow | null>;
  noteOfSession(sessionId: string): Promise<ClinicalNoteRow | null>;
  /** Expires idle sessions and deletes their chunks; returns how many expired. */
  sweep(): Promise<number>;
}

export interface DictationProgress {
  state: DictationState;
  /** Per chunk, in order: its sequence number, the text it added and the commands it applied. */
  results: Array<ChunkResult & { seq: number }>;
  /** Everything written, commands applied. */
  transcript: string;
  /** Everything heard or typed, commands included, a chunk per line. */
  rawTranscript: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createDictation({
  db,
  hear,
  writer,
  idleTimeoutMs,
  logger,
  events,
}: {
  db: Database;
  hear: Hear;
  writer: NoteWriter;
  idleTimeoutMs: number;
  logger: Logger;
  events: DictationEvents;
}): Dictation {
  const cutoff = () => new Date(Date.now() - idleTimeoutMs);

  /** Live dictation is a nicety: a pub/sub failure is logged, never fails the write that happened. */
  async function announce(event: DictationEvent): Promise<void> {
    await events.publish(event).catch((error: unknown) => logger.warn({ err: { name: (error as Error).name }, sessionId: event.sessionId }, 'dictation event not published'));
  }

  async function expire(where: ReturnType<typeof and>): Promise<string[]> {
    const expired = await db.update(dictationSessions).set({ status: 'EXPIRED' }).where(where).returning({ id: dictationSessions.id });
    for (const { id } of expired) {
      await db.delete(dictationChunks).where(eq(dictationChunks.sessionId, id));
      await announce({ sessionId: id, chunkIndex: null, text: '', commands: [], section: null, transcript: '', status: 'EXPIRED', noteId: null });
    }
    return expired.map((e) => e.id);
  }

  // Idle counts from the last chunk's arrival, so a chunk still being transcribed only lets its
  // session expire if transcription outlasts the idle timeout (or its process died mid-way).
  const idle = () => and(eq(dictationSessions.status, 'ACTIVE'), lte(dictationSessions.lastActivityAt, cutoff()));

  /**
   * Runs a write carrying dictated text. A failed query's error quotes its parameters, so it is
   * logged by name and code only and the caller gets INTERNAL_SERVER_ERROR: no transcript in logs.
   */
  async function withText<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause;
      logger.error({ err: { name: (error as Error).name, code: cause?.code } }, 'dictation write failed');
      throw internalError();
    }
  }

  async function get(userId: string, id: string): Promise<DictationSessionRow | null> {
    if (!UUID.test(id)) return null;
    const owned = and(eq(dictationSessions.id, id), eq(dictationSessions.userId, userId));
    const [row] = await db.select().from(dictationSessions).where(owned);
    if (row?.status === 'ACTIVE' && row.lastActivityAt <= cutoff()) {
      await expire(and(owned, idle()));
      return { ...row, status: 'EXPIRED' };
    }
    return row ?? null;
  }

  async function progress(session: Pick<DictationSessionRow, 'id' | 'kind'>): Promise<DictationProgress> {
    const rows = await db
      .select({ seq: dictationChunks.seq, text: dictationChunks.text, source: dictationChunks.source })
      .from(dictationChunks)
      .where(eq(dictationChunks.sessionId, session.id))
      .orderBy(asc(dictationChunks.seq));
    const chunks = rows.filter((r) => r.text.trim());
    const { state, results } = replayDictation(session.kind, chunks);
    return { state, results: results.map((r, i) => ({ ...r, seq: chunks[i]!.seq })), transcript: editedText(state), rawTranscript: chunks.map((c) => c.text.trim()).join('\n') };
  }

  /** Why an ACTIVE-only operation cannot proceed. */
  async function refusal(userId: string, id: string): Promise<never> {
    const row = await get(userId, id);
    if (!row) throw notFound('Dictation session');
    if (row.status === 'FINISHED') throw conflict('This dictation has already been finished', { reason: 'FINISHED' });
    if (row.status === 'EXPIRED') throw conflict('This dictation expired after inactivity; start a new one', { reason: 'EXPIRED' });
    if (row.nextSeq >= MAX_CHUNKS) throw badUserInput(`A dictation takes at most ${MAX_CHUNKS} chunks`, 'sessionId');
    throw conflict('This dictation is busy; try again', { reason: 'BUSY' });
  }

async function finish(userId: string, sessionId: string): Promise<ClinicalNoteRow> {
    const session = await get(userId, sessionId);
    if (!session || session.status !== 'ACTIVE') return refusal(userId, sessionId);
    if (session.pending > 0) throw conflict('Chunks are still being transcribed; finish once they are in', { reason: 'PENDING' });
    const dictated = await progress(session);
    if (!dictated.transcript) throw badUserInput('Nothing has been dictated yet', 'sessionId');
    // Sections the clinician moved between by voice are theirs; otherwise the writer sorts the text.
    const written = dictated.state.navigated
      ? { sections: dictatedSections(dictated.state).map((section) => ({ ...section, title: SECTION_TITLES[section.kind] })), generatedBy: 'voice-commands' }
      : await writer.write(session.kind, dictated.transcript);
    const note = await withText(() =>
      db.transaction(async (tx) => {
        // Nothing may have arrived while the note was written.
        const [finished] = await tx
          .update(dictationSessions)
          .set({ status: 'FINISHED', finishedAt: new Date() })
          .where(and(eq(dictationSessions.id, sessionId), eq(dictationSessions.status, 'ACTIVE'), eq(dictationSessions.nextSeq, session.nextSeq), eq(dictationSessions.pending, 0)))
          .returning({ id: dictationSessions.id });
        if (!finished) return undefined;
        const [inserted] = await tx
          .insert(clinicalNotes)
          .values({ sessionId, userId, kind: session.kind, sections: written.sections, transcript: dictated.transcript, rawTranscript: dictated.rawTranscript, generatedBy: written.generatedBy })
          .returning();
        // The note keeps the transcript; the chunks are not kept twice.
        await tx.delete(dictationChunks).where(eq(dictationChunks.sessionId, sessionId));
        return inserted;
      }),
    );
    if (!note) return refusal(userId, sessionId);
    logger.info({ sessionId, noteId: note.id, generatedBy: note.generatedBy, chunks: session.chunkCount }, 'dictation finished');
  await announce({ sessionId, chunkIndex: null, text: '', commands: [], section: null, transcript: '', status: 'FINISHED', noteId: note.id });
    return note;
  }

  return {
    idleTimeoutMs,
    get,

    async start(userId, kind) {
      const [row] = await db.insert(dictationSessions).values({ userId, kind }).returning();
      return row!;
    },

    progress,

    async append(userId, sessionId, chunk) {
      if ((chunk.text == null) === (chunk.audio == null)) {
        throw badUserInput('Send exactly one of audio or text', chunk.text == null ? 'audio' : 'text');
      }
      const text = chunk.text?.trim();
      if (chunk.text != null) {
        if (!text) throw badUserInput('Text is empty', 'text');
        if (text.length > MAX_CHUNK_CHARS) throw badUserInput(`A text chunk is at most ${MAX_CHUNK_CHARS} characters`, 'text');
      }
      if (!UUID.test(sessionId)) throw notFound('Dictation session');
      // The sequence number is taken on arrival, so chunks keep the order they were sent in
      // even when an earlier audio chunk takes longer to transcribe.
      const [reserved] = await db
        .update(dictationSessions)
        .set({ nextSeq: sql`${dictationSessions.nextSeq} + 1`, pending: sql`${dictationSessions.pending} + 1`, lastActivityAt: new Date() })
        .where(
          and(
            eq(dictationSessions.id, sessionId),
            eq(dictationSessions.userId, userId),
            eq(dictationSessions.status, 'ACTIVE'),
            gt(dictationSessions.lastActivityAt, cutoff()),
            lt(dictationSessions.nextSeq, MAX_CHUNKS),
          ),
        )
        .returning({ nextSeq: dictationSessions.nextSeq });
      if (!reserved) return refusal(userId, sessionId);
      const seq = reserved.nextSeq - 1;
      let stored: { text: string; durationMs: number };
      try {
        stored = chunk.audio ? await hear(userId, chunk.audio, 'audio') : { text: text!, durationMs: 0 };
      } catch (error) {
        await db.update(dictationSessions).set({ pending: sql`${dictationSessions.pending} - 1` }).where(eq(dictationSessions.id, sessionId));
        throw error;
      }
      const row = await withText(() =>
        db.transaction(async (tx) => {
          const [updated] = await tx
            .update(dictationSessions)
            .set({
              pending: sql`${dictationSessions.pending} - 1`,
              chunkCount: sql`${dictationSessions.chunkCount} + 1`,
              durationMs: sql`${dictationSessions.durationMs} + ${stored.durationMs}`,
              lastActivityAt: new Date(),
            })
            .where(and(eq(dictationSessions.id, sessionId), eq(dictationSessions.status, 'ACTIVE')))
            .returning();
          // Expired while this chunk was transcribed: its text is not kept.
          if (updated) await tx.insert(dictationChunks).values({ sessionId, seq, source: chunk.audio ? 'AUDIO' : 'TEXT', text: stored.text, durationMs: stored.durationMs });
          return updated;
        }),
      );
      if (!row) return refusal(userId, sessionId);
      const dictated = await progress(row);
      const added = dictated.results.find((r) => r.seq === seq);
      await announce({
        sessionId,
        chunkIndex: seq,
        text: added?.text ?? '',
        commands: added?.commands ?? [],
        section: dictated.state.current,
        transcript: dictated.transcript,
        status: 'ACTIVE',
        noteId: null,
      });
      // "Stop dictation" finishes it, once no earlier chunk is still being transcribed.
      if (dictated.state.stopped && row.pending === 0) {
        await finish(userId, sessionId);
        return (await get(userId, sessionId)) ?? row;
      }
      return row;
    },

    finish,

    async note(userId, id) {
      if (!UUID.test(id)) return null;
      const [row] = await db.select().from(clinicalNotes).where(and(eq(clinicalNotes.id, id), eq(clinicalNotes.userId, userId)));
      return row ?? null;
    },

    async noteOfSession(sessionId) {
      const [row] = await db.select().from(clinicalNotes).where(eq(clinicalNotes.sessionId, sessionId));
      return row ?? null;
    },

    async sweep() {
      return (await expire(idle())).length;
    },
  };
}
