import type { ClinicalNoteRow } from '../db/schema.js';
import { detectPhi, scanPhi } from '@voiceassist/phi-detection';
import type { ClinicalNoteResolvers } from './resolvers-types.js';

const noteText = (note: ClinicalNoteRow) => note.sections.map((section) => `${section.title}:\n${section.text || '(none dictated)'}`).join('\n\n');

export const ClinicalNote = {
  dictationSessionId: (note) => note.sessionId,
  text: noteText,
  // Computed on read (see DictationSession): spans index `text`.
  phiFindings: (note) => detectPhi(noteText(note)),
  redactedText: (note) => scanPhi(noteText(note)).redacted,
  redactedTranscript: (note) => scanPhi(note.transcript).redacted,
} satisfies ClinicalNoteResolvers;
