import { phiOf } from '@voiceassist/phi-detection';
import { describe, expect, it } from 'vitest';
import type { ClinicalNoteRow } from '../db/schema.js';
import { ClinicalNote } from './ClinicalNote.js';

describe('ClinicalNote PHI fields', () => {
  it('share one detection per text of the note: phiFindings and redactedText read the same scan', () => {
    const note: ClinicalNoteRow = {
      id: '00000000-0000-4000-8000-000000000001',
      sessionId: '00000000-0000-4000-8000-000000000002',
      userId: '00000000-0000-4000-8000-000000000003',
      kind: 'FREE_TEXT',
      sections: [{ kind: 'NOTE', title: 'Note', text: 'Mr. John Carter, MRN 00482913, seen today.' }],
      transcript: 'mister carter mrn 0 0 4 8 2 9 1 3',
      rawTranscript: '',
      generatedBy: 'voice-commands',
      createdAt: new Date(0),
    };
    const findings = ClinicalNote.phiFindings(note);
    expect(findings.map((f) => f.kind)).toEqual(['NAME', 'MRN']);
    expect(ClinicalNote.phiFindings(note)).toBe(findings);
    expect(phiOf(note, ClinicalNote.text(note))).toEqual({ findings, redacted: ClinicalNote.redactedText(note) });
    expect(phiOf(note, ClinicalNote.text(note)).findings).toBe(findings);
    expect(ClinicalNote.redactedTranscript(note)).toBe('mister [NAME] mrn [MRN]');
  });
});
