import type { ClinicalNoteRow } from '../db/schema.js';
import { detectPhi, redact } from '@voiceassist/phi-detection';
import type { ClinicalNoteResolvers } from './resolvers-types.js';

const noteText = (note: ClinicalNoteRow) => note.sections.map((section) => `${section.title}:\n${section.text || '(none dictated)'}`).join('\n\n');

const redacted = (text: string) => redact(text, detectPhi(text));

export const ClinicalNote = {
  dictationSessionId: (note) => note.sessionId,
  text: noteText,
  // Computed on read (see DictationSession): spans index `text`.
  phiFindings: (note) => detectPhi(noteText(note)),
  redactedText: (note) => redacted(noteText(note)),
  redactedTranscript: (note) => redacted(note.transcript),
} satisfies ClinicalNoteResolvers;
