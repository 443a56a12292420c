import type { ClinicalNoteRow } from '../db/schema.js';

export const ClinicalNote = {
  dictationSessionId: (note: ClinicalNoteRow) => note.sessionId,
  text: (note: ClinicalNoteRow) =>
    note.sections.map((section) => `${section.title}:\n${section.text || '(none dictated)'}`).join('\n\n'),
};
