import type { NoteSectionRecord } from './db/schema.js';
import { SOAP_ORDER, type NoteKind } from './soap-note.js';

export type SectionKind = NoteSectionRecord['kind'];

/** What a spoken command did, as the API reports it. */
export type CommandName =
  | 'NEW_PARAGRAPH'
  | 'NEW_LINE'
  | 'PERIOD'
  | 'COMMA'
  | 'COLON'
  | 'QUESTION_MARK'
  | 'NEXT_SECTION'
  | 'GO_TO_SECTION'
  | 'DELETE_LAST_SENTENCE'
  | 'UNDO'
  | 'STOP_DICTATION';

export interface AppliedCommand {
  command: CommandName;
  /** The section written to after it (navigation), or the one it acted on. */
  section: SectionKind;
}

interface Phrase {
  words: string[];
  command: CommandName;
  target?: SectionKind;
}

const PUNCTUATION: Partial<Record<CommandName, string>> = { PERIOD: '.', COMMA: ',', COLON: ':', QUESTION_MARK: '?' };

/** The documented commands (README "Voice commands in dictation"); "literal <word>" writes a command word as a word. */
const PHRASE_LIST: Phrase[] = [
  { words: ['new', 'paragraph'], command: 'NEW_PARAGRAPH' },
  { words: ['new', 'line'], command: 'NEW_LINE' },
  { words: ['full', 'stop'], command: 'PERIOD' },
  { words: ['period'], command: 'PERIOD' },
  { words: ['comma'], command: 'COMMA' },
  { words: ['colon'], command: 'COLON' },
  { words: ['question', 'mark'], command: 'QUESTION_MARK' },
  { words: ['next', 'section'], command: 'NEXT_SECTION' },
  ...(['subjective', 'objective', 'assessment', 'plan'] as const).flatMap((name) => [
    { words: ['go', 'to', name], command: 'GO_TO_SECTION' as const, target: name.toUpperCase() as SectionKind },
    { words: ['go', 'to', 'the', name], command: 'GO_TO_SECTION' as const, target: name.toUpperCase() as SectionKind },
  ]),
  { words: ['delete', 'last', 'sentence'], command: 'DELETE_LAST_SENTENCE' },
  { words: ['delete', 'that', 'sentence'], command: 'DELETE_LAST_SENTENCE' },
  { words: ['undo'], command: 'UNDO' },
  { words: ['undo', 'that'], command: 'UNDO' },
  { words: ['stop', 'dictation'], command: 'STOP_DICTATION' },
  { words: ['stop', 'dictating'], command: 'STOP_DICTATION' },
];
// Longest first: "undo that" before "undo".
const PHRASES = [...PHRASE_LIST].sort((a, b) => b.words.length - a.words.length);

const bare = (token: string) => token.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/** A dictation's note as commands and text have made it so far. */
export interface DictationState {
  kind: NoteKind;
  sections: Record<SectionKind, string>;
  current: SectionKind;
  /** A section command was used: the sections are the clinician's, not the classifier's. */
  navigated: boolean;
  stopped: boolean;
}

export interface ChunkResult {
  /** What the chunk added as text (commands removed). */
  text: string;
  commands: AppliedCommand[];
}

const emptySections = (): Record<SectionKind, string> => ({ SUBJECTIVE: '', OBJECTIVE: '', ASSESSMENT: '', PLAN: '', NOTE: '' });

export function initialDictationState(kind: NoteKind): DictationState {
  return { kind, sections: emptySections(), current: kind === 'SOAP' ? 'SUBJECTIVE' : 'NOTE', navigated: false, stopped: false };
}

const endsSentence = (text: string) => text === '' || /[.?!]\s*$|\n\s*$/.test(text);
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** Without its last sentence (the one being written, or the last finished one). */
function withoutLastSentence(text: string): string {
  const trimmed = text.replace(/\s+$/, '');
  const body = trimmed.replace(/[.?!]$/, '');
  const cut = Math.max(body.lastIndexOf('.'), body.lastIndexOf('?'), body.lastIndexOf('!'), body.lastIndexOf('\n'));
  return cut < 0 ? '' : body.slice(0, cut + 1);
}

/**
 * Applies one chunk to the state (mutating it): typed chunks are text as sent, each on a line of
 * its own; spoken chunks are searched for commands, their words written into the current
 * section with a capital after a sentence's end. Each word run and each command is one step
 * `undo` takes back; `history` holds the states before each step.
 */
export function applyChunk(state: DictationState, history: DictationState[], chunk: { source: 'AUDIO' | 'TEXT'; text: string; continues: boolean }): ChunkResult {
  const result: ChunkResult = { text: '', commands: [] };
  if (state.stopped) return result;
  const snapshot = () => history.push({ ...state, sections: { ...state.sections } });
  const write = (words: string, joiner: string) => {
    const section = state.sections[state.current];
    const separator = section === '' || /\n$/.test(section) ? '' : joiner;
    state.sections[state.current] = section + separator + words;
    result.text += (result.text ? ' ' : '') + words;
  };
  if (chunk.source === 'TEXT') {
    snapshot();
    write(chunk.text.trim(), '\n');
    return result;
  }
  const tokens = chunk.text.split(/\s+/).filter(Boolean);
  let run: string[] = [];
  let joiner = chunk.continues ? ' ' : '\n';
  const flush = () => {
    if (run.length === 0) return;
    snapshot();
    const words = run.map((w, k) => (k === 0 && endsSentence(state.sections[state.current]) ? capitalize(w) : w)).join(' ');
    write(words, joiner);
    joiner = ' ';
    run = [];
  };
  for (let i = 0; i < tokens.length; ) {
    if (bare(tokens[i]!) === 'literal' && i + 1 < tokens.length) {
      run.push(tokens[i + 1]!);
      i += 2;
      continue;
    }
    const phrase = PHRASES.find((p) => p.words.every((w, k) => bare(tokens[i + k] ?? '') === w));
    if (!phrase) {
      run.push(tokens[i]!);
      i++;
      continue;
    }
    flush();
    i += phrase.words.length;
    const { command } = phrase;
    if (command === 'UNDO') {
      const previous = history.pop();
      if (previous) Object.assign(state, previous);
      result.commands.push({ command, section: state.current });
      continue;
    }
    snapshot();
    const section = state.sections[state.current];
    const mark = PUNCTUATION[command];
    if (mark) state.sections[state.current] = section.replace(/[\s,:;]*$/, '') + mark;
    else if (command === 'NEW_PARAGRAPH') state.sections[state.current] = section.replace(/\s*$/, '') + '\n\n';
    else if (command === 'NEW_LINE') state.sections[state.current] = section.replace(/\s*$/, '') + '\n';
    else if (command === 'DELETE_LAST_SENTENCE') state.sections[state.current] = withoutLastSentence(section);
    else if (command === 'NEXT_SECTION' || command === 'GO_TO_SECTION') {
      if (state.kind === 'SOAP') {
        const next = SOAP_ORDER[Math.min(SOAP_ORDER.length - 1, SOAP_ORDER.indexOf(state.current as (typeof SOAP_ORDER)[number]) + 1)]!;
        state.current = command === 'GO_TO_SECTION' ? phrase.target! : next;
        state.navigated = true;
      } else {
        // A free-text note has one section: moving on starts a paragraph.
        state.sections.NOTE = section.replace(/\s*$/, '') + (section ? '\n\n' : '');
      }
    } else if (command === 'STOP_DICTATION') {
      state.stopped = true;
    }
    joiner = ' ';
    result.commands.push({ command, section: state.current });
    if (state.stopped) return result;
  }
  flush();
  return result;
}

/** Replays a dictation's chunks, in order, from the start. */
export function replayDictation(kind: NoteKind, chunks: ReadonlyArray<{ source: 'AUDIO' | 'TEXT'; text: string }>): { state: DictationState; results: ChunkResult[] } {
  const state = initialDictationState(kind);
  const history: DictationState[] = [];
  const results = chunks.map((chunk, i) => applyChunk(state, history, { ...chunk, continues: i > 0 && chunks[i - 1]!.source === 'AUDIO' && chunk.source === 'AUDIO' }));
  return { state, results };
}

/** The note's sections in order (SOAP's four, or the one NOTE), trimmed. */
export function dictatedSections(state: DictationState): Array<{ kind: SectionKind; text: string }> {
  const kinds: SectionKind[] = state.kind === 'SOAP' ? [...SOAP_ORDER] : ['NOTE'];
  return kinds.map((kind) => ({ kind, text: state.sections[kind].trim() }));
}

/** Everything written, commands applied: the sections' text in order. */
export function editedText(state: DictationState): string {
  return dictatedSections(state)
    .map((s) => s.text)
    .filter(Boolean)
    .join('\n\n');
}
