import type { ChatProvider } from '@voiceassist/ai';
import type { Logger } from '@voiceassist/logging';
import type { NoteSectionRecord } from './db/schema.js';

export type SoapSection = 'SUBJECTIVE' | 'OBJECTIVE' | 'ASSESSMENT' | 'PLAN';
export type SoapNote = Record<SoapSection, string>;
export type NoteKind = 'SOAP' | 'FREE_TEXT';

export const SOAP_ORDER: readonly SoapSection[] = ['SUBJECTIVE', 'OBJECTIVE', 'ASSESSMENT', 'PLAN'];
export const SECTION_TITLES: Record<NoteSectionRecord['kind'], string> = {
  SUBJECTIVE: 'Subjective',
  OBJECTIVE: 'Objective',
  ASSESSMENT: 'Assessment',
  PLAN: 'Plan',
  NOTE: 'Note',
};

/**
 * Phrases that open a section wherever they occur, even mid-sentence (speech recognizers give
 * no punctuation): "... for two days on exam blood pressure ..." splits before "on exam".
 */
const STRONG_CUES: Record<SoapSection, string[]> = {
  SUBJECTIVE: ['subjective', 'chief complaint', 'complains of', 'complaining of', 'presents with', 'presenting with', 'history of present illness'],
  OBJECTIVE: ['objective', 'on exam', 'on examination', 'physical exam', 'physical examination', 'exam shows', 'examination shows', 'vital signs', 'vitals'],
  ASSESSMENT: ['assessment and plan', 'assessment', 'impression', 'differential diagnosis', 'differential', 'diagnosis'],
  PLAN: ['plan', 'the plan is', 'we will', 'recommend', 'recommendations'],
};

/** Phrases that lean a sentence without a strong cue towards a section. */
const WEAK_CUES: Record<SoapSection, string[]> = {
  SUBJECTIVE: ['reports', 'states', 'denies', 'history of', 'complains', 'year old', 'years old', 'for the past', 'feels', 'symptoms'],
  OBJECTIVE: ['blood pressure', 'heart rate', 'pulse', 'temperature', 'respiratory rate', 'oxygen saturation', 'saturation', 'lungs', 'heart sounds', 'abdomen', 'tender', 'afebrile', 'auscultation', 'labs', 'x-ray', 'mmhg', 'bpm', 'bp', 'hr', 'spo2'],
  ASSESSMENT: ['likely', 'consistent with', 'suspect', 'suspected', 'probable', 'rule out', 'suggestive of', 'secondary to'],
  PLAN: ['start', 'prescribe', 'prescribed', 'order', 'follow up', 'follow-up', 'refer', 'referral', 'schedule', 'return if', 'advise', 'advised', 'continue', 'discontinue', 'counsel', 'mg daily', 'twice a day', 'bid', 'tid', 'qid', 'prn'],
};

/** Section names said as headings ("Plan: ...", "assessment ...") are dropped from the section's text. */
const HEADINGS = /^(?:(?:and|so|then|now|okay|ok)\s+)*(?:(?:subjective|objective|assessment and plan|assessment|plan)\b|(?:impression|chief complaint)\s*:)\s*[:.,-]?\s*/i;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
const phrase = (cues: string[]) => cues.map((c) => escape(c).replace(/\s+/g, '\\s+')).join('|');

// Lead-in words ("the impression is", "and plan") stay with their cue.
const LEAD_IN = '(?:(?:and|so|then|now|the|my|our|okay|ok)\\s+){0,3}';
const STRONG = new RegExp(`\\b${LEAD_IN}(?:${SOAP_ORDER.map((s) => phrase(STRONG_CUES[s])).join('|')})\\b`, 'gi');
const STRONG_AT_START = Object.fromEntries(
  SOAP_ORDER.map((s) => [s, new RegExp(`^${LEAD_IN}(?:${phrase(STRONG_CUES[s])})\\b`, 'i')]),
) as Record<SoapSection, RegExp>;
const WEAK = Object.fromEntries(SOAP_ORDER.map((s) => [s, new RegExp(`\\b(?:${phrase(WEAK_CUES[s])})\\b`, 'gi')])) as Record<SoapSection, RegExp>;

function splitAtStrongCues(sentence: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (const match of sentence.matchAll(STRONG)) {
    if (match.index > start) pieces.push(sentence.slice(start, match.index));
    start = match.index;
  }
  pieces.push(sentence.slice(start));
  return pieces.map((p) => p.trim()).filter(Boolean);
}

function classify(segment: string, current: SoapSection): SoapSection {
  // "Assessment and plan": the first cue names the section.
  for (const section of SOAP_ORDER) if (STRONG_AT_START[section].test(segment)) return section;
  const scores = SOAP_ORDER.map((s) => segment.match(WEAK[s])?.length ?? 0);
  const best = Math.max(...scores);
  const winners = SOAP_ORDER.filter((_, i) => scores[i] === best);
  if (best === 0 || winners.length > 1 || scores[SOAP_ORDER.indexOf(current)] === best) return current;
  return winners[0]!;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The embedded note writer: sentences (and, within them, strong cue phrases) are assigned to
 * Subjective, Objective, Assessment or Plan by cue phrases ("complains of", "on exam",
 * "impression", "plan"); text without a cue stays in the section before it, starting with
 * Subjective. Deterministic: the same dictation always gives the same note.
 */
export function classifySoap(transcript: string): SoapNote {
  const sentences = transcript.split(/(?<=[.!?;])\s+|\n+/).map((s) => s.trim()).filter(Boolean);
  const parts: Record<SoapSection, string[]> = { SUBJECTIVE: [], OBJECTIVE: [], ASSESSMENT: [], PLAN: [] };
  let current: SoapSection = 'SUBJECTIVE';
  let previous: { section: SoapSection; sentence: number } | undefined;
  sentences.forEach((sentence, index) => {
    for (const segment of splitAtStrongCues(sentence)) {
      current = classify(segment, current);
      const text = segment.replace(HEADINGS, '').trim();
      if (!text) continue;
      const list = parts[current];
      // Pieces of one sentence that stayed in one section are put back together.
      if (previous?.section === current && previous.sentence === index && list.length > 0) list[list.length - 1] += ` ${text}`;
      else list.push(capitalize(text));
      previous = { section: current, sentence: index };
    }
  });
  return Object.fromEntries(SOAP_ORDER.map((s) => [s, parts[s].join(' ')])) as SoapNote;
}

export interface WrittenNote {
  sections: NoteSectionRecord[];
  generatedBy: string;
}

export interface NoteWriter {
  write(kind: NoteKind, transcript: string): Promise<WrittenNote>;
}

const soapSections = (note: SoapNote): NoteSectionRecord[] => SOAP_ORDER.map((kind) => ({ kind, title: SECTION_TITLES[kind], text: note[kind] }));

const SYSTEM_PROMPT = [
  'You turn a clinician\'s dictated patient encounter into a SOAP note.',
  'Answer with one JSON object and nothing else: {"subjective": string, "objective": string, "assessment": string, "plan": string}.',
  'Use only what the dictation says, in clear clinical prose; leave a section as an empty string when nothing was said for it.',
].join(' ');

/** Reads the model's JSON answer (tolerating a Markdown code fence around it); undefined when it is not one. */
export function parseSoapJson(answer: string): SoapNote | undefined {
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const parsed = JSON.parse(answer.slice(start, end + 1)) as Record<string, unknown>;
    const note = {} as SoapNote;
    for (const section of SOAP_ORDER) {
      const value = parsed[section.toLowerCase()] ?? '';
      if (typeof value !== 'string') return undefined;
      note[section] = value.trim();
    }
    return note;
  } catch {
    return undefined;
  }
}

/**
 * The language model writes SOAP notes when one is configured; if it fails or answers with
 * something other than the JSON asked for, the cue-phrase classifier does, and `generatedBy`
 * says which.
 */
export function createNoteWriter({ chat, logger }: { chat?: ChatProvider | undefined; logger: Logger }): NoteWriter {
  return {
    async write(kind, transcript) {
      if (kind === 'FREE_TEXT') return { sections: [{ kind: 'NOTE', title: SECTION_TITLES.NOTE, text: transcript }], generatedBy: 'transcript' };
      if (chat) {
        try {
          let answer = '';
          const stream = chat.stream([
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: transcript },
          ]);
          for await (const chunk of stream) if ('delta' in chunk) answer += chunk.delta;
          const note = parseSoapJson(answer);
          if (note) return { sections: soapSections(note), generatedBy: `llm:${chat.model}` };
          logger.warn({ model: chat.model, answerChars: answer.length }, 'language model gave no SOAP JSON; using the cue-phrase classifier');
        } catch (error) {
          logger.warn({ model: chat.model, err: { name: (error as Error).name, status: (error as { status?: unknown }).status } }, 'language model failed; using the cue-phrase classifier');
        }
      }
      return { sections: soapSections(classifySoap(transcript)), generatedBy: 'cue-phrases' };
    },
  };
}
