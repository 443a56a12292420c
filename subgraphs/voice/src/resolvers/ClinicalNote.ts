import type { ClinicalNoteRow } from '../db/schema.js';
import { detectPhi, redact } from '@voiceassist/phi-detection';

const noteText = (note: ClinicalNoteRow) => note.sections.map((section) => `${section.title}:\n${section.text || '(none dictated)'}`).join('\n\n');

const redacted = (text: string) => redact(text, detectPhi(text));

export const ClinicalNote = {
  dictationSessionId: (note: ClinicalNoteRow) => note.sessionId,
  text: noteText,
  // Computed on read (see DictationSession): spans index `text`.
  phiFindings: (note: ClinicalNoteRow) => detectPhi(noteText(note)),
  redactedText: (note: ClinicalNoteRow) => redacted(noteText(note)),
  redactedTranscript: (note: ClinicalNoteRow) => redacted(note.transcript),
};
