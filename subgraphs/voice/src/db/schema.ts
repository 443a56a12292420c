import { erasedUsersTable } from '@voiceassist/database/erased-users';
import { doublePrecision, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const voice = pgSchema('voice');

export const noteKindEnum = voice.enum('note_kind', ['SOAP', 'FREE_TEXT']);
export const dictationStatusEnum = voice.enum('dictation_status', ['ACTIVE', 'FINISHED', 'EXPIRED']);

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const now = () => new Date();

/** One row per user who has changed their speech settings. */
export const preferences = voice.table('preferences', {
  /** identity's user id. */
  userId: uuid('user_id').primaryKey(),
  /** null: the engine's default voice. */
  voice: text('voice'),
  rate: doublePrecision('rate').notNull().default(1),
  updatedAt: timestampColumn('updated_at').notNull().defaultNow().$defaultFn(now),
});

export const dictationSessions = voice.table(
  'dictation_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    kind: noteKindEnum('kind').notNull().default('SOAP'),
    status: dictationStatusEnum('status').notNull().default('ACTIVE'),
    /** Sequence numbers handed out, in arrival order (an audio chunk that fails to transcribe leaves a gap). */
    nextSeq: integer('next_seq').notNull().default(0),
    /** Chunks stored. */
    chunkCount: integer('chunk_count').notNull().default(0),
    /** Audio chunks accepted but still being transcribed. */
    pending: integer('pending').notNull().default(0),
    durationMs: integer('duration_ms').notNull().default(0),
    createdAt: timestampColumn('created_at').notNull().defaultNow().$defaultFn(now),
    lastActivityAt: timestampColumn('last_activity_at').notNull().defaultNow().$defaultFn(now),
    finishedAt: timestampColumn('finished_at'),
  },
  (t) => [index('dictation_sessions_user_idx').on(t.userId, t.createdAt), index('dictation_sessions_active_idx').on(t.status, t.lastActivityAt)],
);

/** Dictated text, in order; deleted when the session finishes (the note keeps it) or expires. */
export const dictationChunks = voice.table(
  'dictation_chunks',
  {
    sessionId: uuid('session_id')
      .notNull()
      .references(() => dictationSessions.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    source: text('source').$type<'AUDIO' | 'TEXT'>().notNull(),
    text: text('text').notNull(),
    durationMs: integer('duration_ms').notNull().default(0),
    createdAt: timestampColumn('created_at').notNull().defaultNow().$defaultFn(now),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] })],
);

export interface NoteSectionRecord {
  kind: 'SUBJECTIVE' | 'OBJECTIVE' | 'ASSESSMENT' | 'PLAN' | 'NOTE';
  title: string;
  text: string;
}

export const clinicalNotes = voice.table(
  'clinical_notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => dictationSessions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    kind: noteKindEnum('kind').notNull(),
    sections: jsonb('sections').$type<NoteSectionRecord[]>().notNull(),
    /** The note's text as edited by voice commands. */
    transcript: text('transcript').notNull(),
    /** Everything heard, commands included, in order. */
    rawTranscript: text('raw_transcript').notNull().default(''),
    generatedBy: text('generated_by').notNull(),
    createdAt: timestampColumn('created_at').notNull().defaultNow().$defaultFn(now),
  },
  (t) => [uniqueIndex('clinical_notes_session_key').on(t.sessionId), index('clinical_notes_user_idx').on(t.userId, t.createdAt)],
);

/**
 * The organisation's own vocabulary (a deployment serves one organisation), added by admins on
 * top of the shipped lexicon. Not tied to who added it: terms are the organisation's.
 */
export const vocabularyTerms = voice.table(
  'vocabulary_terms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    written: text('written').notNull(),
    /** Lowercase spoken forms. */
    spoken: jsonb('spoken').$type<string[]>().notNull(),
    kind: text('kind').$type<'drug' | 'unit' | 'abbreviation' | 'phrase'>().notNull(),
    createdAt: timestampColumn('created_at').notNull().defaultNow().$defaultFn(now),
  },
  (t) => [uniqueIndex('vocabulary_terms_written_key').on(t.written)],
);

export type VocabularyTermRow = typeof vocabularyTerms.$inferSelect;
export type PreferencesRow = typeof preferences.$inferSelect;
export type DictationSessionRow = typeof dictationSessions.$inferSelect;
export type ClinicalNoteRow = typeof clinicalNotes.$inferSelect;

/** People erased here after identity deleted them (see erasure.ts). */
export const erasedUsers = erasedUsersTable(voice);
