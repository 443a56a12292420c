import lexicon from '../data/names.json' with { type: 'json' };

/** The HIPAA Safe Harbor identifier classes free text can carry that we detect. */
export const PHI_KINDS = [
  'NAME',
  'MRN',
  'PHONE',
  'FAX',
  'EMAIL',
  'ADDRESS',
  'DATE_OF_BIRTH',
  'AGE_OVER_89',
  'SSN',
  'DEVICE_ID',
  'ACCOUNT_NUMBER',
] as const;

export type PhiKind = (typeof PHI_KINDS)[number];

/** One identifier found: `text.slice(start, end)` (UTF-16 offsets, end exclusive), with how sure we are (0 to 1). */
export interface PhiFinding {
  kind: PhiKind;
  start: number;
  end: number;
  confidence: number;
}

const GIVEN_NAMES = new Set(lexicon.given);
const FAMILY_NAMES = new Set(lexicon.family);

// Given names that are also everyday words: counted only with a cue or a family name beside them.
const AMBIGUOUS_NAMES = new Set([
  'mark', 'will', 'grace', 'hope', 'faith', 'may', 'june', 'april', 'august', 'bill', 'frank', 'joy', 'rose', 'jack', 'ray',
  'long', 'price', 'gray', 'bell', 'wood', 'stone', 'black', 'white', 'green', 'young', 'king', 'hill', 'rice', 'fox', 'hunt',
  'cook', 'ward', 'west', 'cole', 'shaw', 'dunn', 'lane', 'berry', 'ross', 'reed', 'brown', 'wells', 'woods', 'mills', 'grant',
  'payne', 'hart', 'hall', 'mason', 'henry', 'parker', 'carter', 'turner', 'baker', 'hunter', 'porter', 'gardner', 'webb',
  'jordan', 'harper', 'martin', 'james', 'thomas', 'lee', 'kelly', 'scott', 'murray', 'stewart', 'graham', 'pierce', 'palmer',
  'amber', 'christian', 'virginia', 'austin', 'charlotte', 'madison', 'carol', 'victoria', 'jean', 'sandy', 'logan', 'olive',
]);

// Capitalised words that look like names in clinical text but name a disease, sign or test.
const EPONYM_FOLLOWERS = /^(?:'s|’s|s')?\s+(?:disease|syndrome|sign|test|reflex|palsy|lymphoma|phenomenon|maneuver|manoeuvre|criteria|score|scale|classification|fracture|ulcer|node|triad)\b/i;

// Words after which capitalised words are a person: titles and relations.
const TITLE = /\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Doctor|Mister|Missus|Nurse|Sister)\.?\s+/gi;
const NAME_CUE =
  /\b(?:patient(?:'s name is| name| is| named)?|pt\.?|name(?:d|\s*is|:)|(?:his|her|their) (?:wife|husband|son|daughter|mother|father|brother|sister|partner|spouse|caregiver|friend)|wife|husband|son|daughter|mother|father|spouse|partner|caregiver|guardian|next of kin|spoke (?:with|to)|seen by|referred by|attending|signed by|accompanied by|contact(?: person)?(?: is)?|called|emergency contact)[:,]?\s+/gi;

// "Carter", "O'Connor", "McDonald", "Warren-Hughes".
const CAPITALISED_WORD = /^(?:[A-Z]['’])?(?:Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?/;
const ANY_WORD = /^[A-Za-z'’-]+/;

const NUMBER_WORDS_1_9 = '(?:one|two|three|four|five|six|seven|eight|nine)';
const MONTHS = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const TENS = '(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)';
const ORDINAL_WORDS = `(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|(?:twenty|thirty)[- ](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))`;
// Dates as transcribed speech writes them: "january fifth nineteen fifty two".
const SPOKEN_DATE = `${MONTHS}\\s+(?:the\\s+)?${ORDINAL_WORDS},?\\s+(?:nineteen|eighteen|two thousand)(?:[- ](?:${TENS}(?:[- ]${NUMBER_WORDS_1_9})?|${NUMBER_WORDS_1_9}|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|hundred))?`;
const DATE =
  `(?:${SPOKEN_DATE}|\\d{1,2}[/.-]\\d{1,2}[/.-](?:\\d{4}|\\d{2})|\\d{4}-\\d{2}-\\d{2}|${MONTHS}\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}|\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTHS},?\\s+\\d{4})`;

interface Rule {
  kind: PhiKind;
  pattern: RegExp;
  confidence: number;
  /** The capture group holding the identifier (0: the whole match); cues before it are left out of the span. */
  group?: number;
  /** Rejects a match by what surrounds it. */
  accept?: (text: string, start: number, end: number) => boolean;
}

const STREET_TYPES =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Row)';
const UNIT = '(?:,?\\s+(?:Apt|Apartment|Suite|Ste|Unit|Floor|#)\\.?\\s*[A-Za-z0-9-]+)?';
const CITY_STATE_ZIP = '(?:,\\s*[A-Z][a-z]+(?:\\s[A-Z][a-z]+){0,2},?\\s+[A-Z]{2}(?:\\s+\\d{5}(?:-\\d{4})?)?)?';
// A cue, optional "number"/"#"/":" words, then the identifier: letters, digits and dashes with at least 3 digits.
const cued = (cue: string) => new RegExp(`\\b(?:${cue})(?:\\s*(?:number|no\\.?|num|#|id|is|:|was))*\\s*[:#]?\\s*((?=[A-Z0-9-]*\\d[A-Z0-9-]*\\d[A-Z0-9-]*\\d)[A-Z0-9][A-Z0-9-]{3,}[A-Z0-9])\\b`, 'gi');

// Digits as transcribed speech writes them: "seven seven four one" or "7 7 4 1".
const DIGIT_WORD = '(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\\d)';
const SPOKEN_DIGITS = `${DIGIT_WORD}(?:[\\s,-]+${DIGIT_WORD}){6,}`;
const spokenCued = (cue: string) => new RegExp(`\\b(?:${cue})(?:\\s*(?:number|no\\.?|#|id|is|:|was))*\\s*[:#]?\\s*(${SPOKEN_DIGITS})\\b`, 'gi');

const RULES: Rule[] = [
  { kind: 'MRN', pattern: spokenCued('mrn|medical record|record|chart'), confidence: 0.85, group: 1 },
  { kind: 'PHONE', pattern: spokenCued('phone|telephone|cell|mobile|call(?: me)? at|reach(?:ed)? at|number'), confidence: 0.8, group: 1 },
  // A seven-digit local number, only where the text says it is one.
  { kind: 'PHONE', pattern: /\b(?:phone|telephone|tel|cell|mobile|pager|text|call|reach|contact)\b[^\d\n]{0,25}?(\d{3}-\d{4})\b/gi, confidence: 0.85, group: 1 },
  { kind: 'EMAIL', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g, confidence: 0.99 },
  { kind: 'SSN', pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g, confidence: 0.95 },
  { kind: 'SSN', pattern: /\b(?:ssn|social security(?: number| no\.?)?|ss#)\s*(?:is|was|:|#)?\s*(\d{3}[- ]?\d{2}[- ]?\d{4})\b/gi, confidence: 0.99, group: 1 },
  {
    kind: 'FAX',
    // "fax 555…", "fax: (555)…", "fax the referral to 555…".
    pattern: /\b(?:fax(?:ed|ing)?|facsimile)\b[^\d\n+(]{0,40}?((?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4})\b/gi,
    confidence: 0.97,
    group: 1,
  },
  {
    kind: 'PHONE',
    pattern: /(?<![\d-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b(?:\s*(?:x|ext\.?)\s*\d{1,5})?/g,
    confidence: 0.93,
  },
  { kind: 'MRN', pattern: cued('mrn|medical record|med(?:ical)? rec(?:ord)?|record|mr|chart|patient id|hospital id|unit number|hospital number'), confidence: 0.95, group: 1 },
  {
    kind: 'ACCOUNT_NUMBER',
    pattern: cued('account|acct\\.?|billing|invoice|policy|member|subscriber|insurance(?: id)?|health plan(?: id)?|beneficiary|medicaid|medicare|claim'),
    confidence: 0.92,
    group: 1,
  },
  {
    kind: 'DEVICE_ID',
    pattern: cued('serial|s/n|sn|device(?: id)?|imei|udi|implant(?: id)?|pacemaker|defibrillator|icd|pump|model and serial|lot'),
    confidence: 0.9,
    group: 1,
  },
  {
    kind: 'DATE_OF_BIRTH',
    pattern: new RegExp(`\\b(?:dob|d\\.o\\.b\\.?|date of birth|birth ?date|born(?: on)?|birthday(?: is)?)\\s*(?:is|was|:|of)?\\s*(${DATE})`, 'gi'),
    confidence: 0.97,
    group: 1,
  },
  {
    kind: 'AGE_OVER_89',
    pattern: new RegExp(
      `\\b(?:(?:9\\d|1[01]\\d)|ninety(?:[- ]${NUMBER_WORDS_1_9})?|one hundred(?:(?: and)?[- ]${NUMBER_WORDS_1_9})?)(?:[- ](?:years?|yrs?|y/?o)(?:[- ]old)?|yo\\b)`,
      'gi',
    ),
    confidence: 0.95,
  },
  {
    kind: 'AGE_OVER_89',
    pattern: /\b(?:aged?|age:)\s*((?:9\d|1[01]\d))\b(?!\s*(?:mg|kg|%|ml|mmhg|bpm|units?)\b)/gi,
    confidence: 0.9,
    group: 1,
  },
  {
    kind: 'ADDRESS',
    pattern: new RegExp(`\\b\\d{1,6}\\s+(?:[NSEW]\\.?\\s+)?(?:[A-Z][a-z]+\\.?\\s+|\\d{1,3}(?:st|nd|rd|th)\\s+){1,4}${STREET_TYPES}\\b(?:(?<=\\b(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Ter|Cir|Pkwy|Hwy|Sq))\\.)?${UNIT}${CITY_STATE_ZIP}`, 'g'),
    confidence: 0.93,
  },
  { kind: 'ADDRESS', pattern: /\bP\.?\s?O\.?\s+Box\s+\d+(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},?\s+[A-Z]{2}(?:\s+\d{5}(?:-\d{4})?)?)?/gi, confidence: 0.95 },
  // A ZIP after a state abbreviation on its own (the street line may be elsewhere).
  { kind: 'ADDRESS', pattern: /\b[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b/g, confidence: 0.85 },
];

function runRules(text: string, out: PhiFinding[]): void {
  for (const rule of RULES) {
    for (const match of text.matchAll(rule.pattern)) {
      const group = rule.group ?? 0;
      const value = match[group];
      if (value === undefined) continue;
      const start = match.index + (group === 0 ? 0 : match[0].lastIndexOf(value));
      const end = start + value.length;
      if (rule.accept && !rule.accept(text, start, end)) continue;
      out.push({ kind: rule.kind, start, end, confidence: rule.confidence });
    }
  }
}

interface Word {
  text: string;
  lower: string;
  start: number;
  end: number;
}

/** Up to three name-like words from `offset`: capitalised ones, or lexicon names in any case when `lowercaseOk`. */
function nameWordsAt(text: string, offset: number, lowercaseOk: boolean): Word[] {
  const words: Word[] = [];
  let position = offset;
  while (words.length < 3) {
    const rest = text.slice(position);
    const word = (CAPITALISED_WORD.exec(rest) ?? (lowercaseOk ? ANY_WORD.exec(rest) : null))?.[0];
    if (!word) break;
    const lower = word.toLowerCase().replace(/['’]s$/, '');
    const capitalised = CAPITALISED_WORD.test(word);
    if (!capitalised && !GIVEN_NAMES.has(lower) && !FAMILY_NAMES.has(lower)) break;
    if (capitalised && !isNameLike(lower) && !GIVEN_NAMES.has(lower) && !FAMILY_NAMES.has(lower)) break;
    const bare = word.replace(/['’]s$/, '');
    words.push({ text: bare, lower, start: position, end: position + bare.length });
    position += word.length;
    // A middle initial ("John Q. Public") or plain space continues the name; anything else ends it.
    const gap = /^(?:\s+[A-Z]\.)?\s+/.exec(text.slice(position))?.[0];
    if (!gap || /\n/.test(gap)) break;
    position += gap.length;
  }
  return words;
}

// Capitalised words that are never a name here (sentence starters, clinical words after cues).
const NOT_NAMES = new Set(
  (
    'the a an is was has had have and or but he she they it his her their this that with without for on in at to of from by no not ' +
    'presents presented reports reported denies complains states stated will would should may might can could ' +
    'today yesterday tomorrow morning evening afternoon night history exam examination plan assessment subjective objective ' +
    'blood pressure heart rate temperature pain chest abdomen patient patients doctor nurse clinic hospital emergency department ' +
    'follow followed continue start stop increase decrease return admitted discharged seen note notes mg daily twice ' +
    'dr mr mrs ms mx prof doctor mister missus sister rn md ' +
    'unknown none who which where when what how there here then also alert oriented stable male female man woman ' +
    'monday tuesday wednesday thursday friday saturday sunday january february march june july september october november december'
  ).split(' '),
);

function isNameLike(lower: string): boolean {
  return !NOT_NAMES.has(lower);
}

/** Names after a title or a cue word ("Mr. Alvarez", "patient Jane Doe", "his wife Maria"). */
function cuedNames(text: string, out: PhiFinding[]): void {
  for (const [pattern, confidence] of [[TITLE, 0.95], [NAME_CUE, 0.85]] as const) {
    for (const match of text.matchAll(pattern)) {
      const words = nameWordsAt(text, match.index + match[0].length, true);
      if (words.length === 0) continue;
      const allUnknownLowercase = words.every((w) => !CAPITALISED_WORD.test(w.text)) && !words.some((w) => GIVEN_NAMES.has(w.lower) || FAMILY_NAMES.has(w.lower));
      if (allUnknownLowercase) continue;
      const last = words[words.length - 1]!;
      if (EPONYM_FOLLOWERS.test(text.slice(last.end))) continue;
      out.push({ kind: 'NAME', start: words[0]!.start, end: last.end, confidence });
    }
  }
}

/** Names from the lexicon without a cue: a known given name with a surname, or a known full name. */
function lexiconNames(text: string, out: PhiFinding[]): void {
  for (const match of text.matchAll(/[A-Za-z][A-Za-z'’-]*/g)) {
    const lower = match[0].toLowerCase();
    if (!GIVEN_NAMES.has(lower)) continue;
    const capitalised = CAPITALISED_WORD.test(match[0]);
    const words = nameWordsAt(text, match.index, !capitalised);
    if (words.length === 0 || words[0]!.start !== match.index) continue;
    const last = words[words.length - 1]!;
    if (EPONYM_FOLLOWERS.test(text.slice(last.end))) continue;
    const withSurname = words.length > 1 && (FAMILY_NAMES.has(words[1]!.lower) || CAPITALISED_WORD.test(words[1]!.text));
    if (!capitalised) {
      // Lower case (transcribed speech): only a known given name followed by a known family name.
      if (words.length > 1 && FAMILY_NAMES.has(words[1]!.lower) && !AMBIGUOUS_NAMES.has(lower)) {
        out.push({ kind: 'NAME', start: words[0]!.start, end: words[1]!.end, confidence: 0.75 });
      }
      continue;
    }
    if (withSurname) {
      out.push({ kind: 'NAME', start: words[0]!.start, end: last.end, confidence: FAMILY_NAMES.has(words[1]!.lower) ? 0.9 : 0.8 });
    } else if (!AMBIGUOUS_NAMES.has(lower)) {
      // A lone given name, even first in a sentence ("Maria reports…"): the everyday words among names are excluded above.
      out.push({ kind: 'NAME', start: match.index, end: match.index + match[0].length, confidence: 0.7 });
    }
  }
}

// When spans overlap, the more specific finding wins: a fax over a phone, a date of birth over a name.
const PRECEDENCE: Record<PhiKind, number> = {
  EMAIL: 10,
  SSN: 9,
  FAX: 9,
  DATE_OF_BIRTH: 8,
  MRN: 8,
  ACCOUNT_NUMBER: 7,
  DEVICE_ID: 7,
  PHONE: 6,
  ADDRESS: 5,
  AGE_OVER_89: 5,
  NAME: 3,
};

function resolveOverlaps(findings: PhiFinding[]): PhiFinding[] {
  const ranked = [...findings].sort(
    (a, b) => PRECEDENCE[b.kind] - PRECEDENCE[a.kind] || b.end - b.start - (a.end - a.start) || b.confidence - a.confidence,
  );
  const kept: PhiFinding[] = [];
  for (const finding of ranked) {
    if (kept.some((k) => k.start < finding.end && finding.start < k.end)) continue;
    kept.push(finding);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Every identifier found in `text`, in order, without overlaps. Pure and synchronous; the text is never logged. */
export function detectPhi(text: string): PhiFinding[] {
  const findings: PhiFinding[] = [];
  runRules(text, findings);
  cuedNames(text, findings);
  lexiconNames(text, findings);
  return resolveOverlaps(findings);
}
