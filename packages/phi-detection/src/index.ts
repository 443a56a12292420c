export { detectPhi, PHI_KINDS, type PhiFinding, type PhiKind } from './detect.js';
export { PLACEHOLDERS, redact } from './redact.js';

import { detectPhi, type PhiFinding } from './detect.js';
import { redact } from './redact.js';

/** Findings and the redacted text in one pass, e.g. for a dictation chunk as it arrives. */
export function scanPhi(text: string): { findings: PhiFinding[]; redacted: string } {
  const findings = detectPhi(text);
  return { findings, redacted: redact(text, findings) };
}
