import type { PhiFinding, PhiKind } from './detect.js';

/** What stands in for each kind of identifier in redacted text. */
export const PLACEHOLDERS: Record<PhiKind, string> = {
  NAME: '[NAME]',
  MRN: '[MRN]',
  PHONE: '[PHONE]',
  FAX: '[FAX]',
  EMAIL: '[EMAIL]',
  ADDRESS: '[ADDRESS]',
  DATE_OF_BIRTH: '[DOB]',
  AGE_OVER_89: '[AGE 90+]',
  SSN: '[SSN]',
  DEVICE_ID: '[DEVICE_ID]',
  ACCOUNT_NUMBER: '[ACCOUNT]',
};

/**
 * `text` with each finding replaced by its placeholder ("Mr. [NAME], MRN [MRN]"). Findings may come
 * in any order; overlapping ones are merged into the first placeholder so no identifier leaks between them.
 */
export function redact(text: string, findings: readonly PhiFinding[]): string {
  const ordered = [...findings].filter((f) => f.start < f.end && f.start >= 0 && f.end <= text.length).sort((a, b) => a.start - b.start);
  let out = '';
  let position = 0;
  for (const finding of ordered) {
    if (finding.end <= position) continue;
    if (finding.start >= position) out += text.slice(position, finding.start) + PLACEHOLDERS[finding.kind];
    position = finding.end;
  }
  return out + text.slice(position);
}
