import type { ClinicalNoteRow } from '../db/schema.js';
import { phiOf } from '@voiceassist/phi-detection';
import type { ClinicalNoteResolvers } from './resolvers-types.js';

const noteText = (note: ClinicalNoteRow) => note.sections.map((section) => `${section.title}:\n${section.text || '(none dictated)'}`).join('\n\n');

export const ClinicalNote = {
  dictationSessionId: (note) => note.sessionId,
  text: noteText,
  // Computed on read (see DictationSession): spans index `text`.
  phiFindings: (note) => phiOf(note, noteText(note)).findings,
  redactedText: (note) => phiOf(note, noteText(note)).redacted,
  redactedTranscript: (note) => phiOf(note, note.transcript).redacted,
} satisfies ClinicalNoteResolvers;
