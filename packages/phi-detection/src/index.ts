export { detectPhi, PHI_KINDS, type PhiFinding, type PhiKind } from './detect.js';
export { PLACEHOLDERS, redact } from './redact.js';

import { detectPhi, type PhiFinding } from './detect.js';
import { redact } from './redact.js';

export interface PhiScan {
  findings: PhiFinding[];
  redacted: string;
}

/** Findings and the redacted text in one pass, e.g. for a dictation chunk as it arrives. */
export function scanPhi(text: string): PhiScan {
  const findings = detectPhi(text);
  return { findings, redacted: redact(text, findings) };
}

// Held weakly by the object the text was read from, so a scan lives no longer than that row does
// (one execution: field resolvers of one object share their parent).
const scans = new WeakMap<object, Map<string, PhiScan>>();

/**
 * `scanPhi(text)` once per (owner, text): a query selecting both `phiFindings` and a redacted field of the
 * same object's text (Message, DictationSession, ClinicalNote) runs detection once.
 */
export function phiOf(owner: object, text: string): PhiScan {
  let byText = scans.get(owner);
  if (!byText) scans.set(owner, (byText = new Map()));
  let scan = byText.get(text);
  if (!scan) byText.set(text, (scan = scanPhi(text)));
  return scan;
}
