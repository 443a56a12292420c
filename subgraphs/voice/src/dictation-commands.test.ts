import { describe, expect, it } from 'vitest';
import { dictatedSections, editedText, replayDictation } from './dictation-commands.js';

const spoken = (...texts: string[]) => texts.map((text) => ({ source: 'AUDIO' as const, text }));

describe('voice commands in dictation', () => {
  it('writes spoken punctuation as punctuation, with capitals after a sentence ends', () => {
    const { state, results } = replayDictation('FREE_TEXT', spoken('patient is stable period no fever comma no cough period', 'plan colon rest question mark'));
    expect(editedText(state)).toBe('Patient is stable. No fever, no cough. Plan: rest?');
    expect(results[0]!.commands.map((c) => c.command)).toEqual(['PERIOD', 'COMMA', 'PERIOD']);
  });

  it('starts new lines and paragraphs', () => {
    const { state } = replayDictation('FREE_TEXT', spoken('first line new line second line new paragraph next part'));
    expect(editedText(state)).toBe('First line\nSecond line\n\nNext part');
  });

  it('moves between SOAP sections: next section and go to <section>', () => {
    const { state, results } = replayDictation('SOAP', spoken('cough for two days next section lungs clear', 'go to plan rest and fluids go to assessment viral infection'));
    expect(dictatedSections(state)).toEqual([
      { kind: 'SUBJECTIVE', text: 'Cough for two days' },
      { kind: 'OBJECTIVE', text: 'Lungs clear' },
      { kind: 'ASSESSMENT', text: 'Viral infection' },
      { kind: 'PLAN', text: 'Rest and fluids' },
    ]);
    expect(state.navigated).toBe(true);
    expect(results[1]!.commands).toEqual([
      { command: 'GO_TO_SECTION', section: 'PLAN' },
      { command: 'GO_TO_SECTION', section: 'ASSESSMENT' },
    ]);
  });

  it('deletes the last sentence, and undo takes back the last step, across chunks', () => {
    const deleted = replayDictation('FREE_TEXT', spoken('one sentence period wrong sentence period delete last sentence'));
    expect(editedText(deleted.state)).toBe('One sentence.');
    const undone = replayDictation('FREE_TEXT', spoken('keep this period', 'not this', 'undo'));
    expect(editedText(undone.state)).toBe('Keep this.');
    const undoNavigation = replayDictation('SOAP', spoken('history next section', 'undo more history'));
    expect(dictatedSections(undoNavigation.state)[0]).toEqual({ kind: 'SUBJECTIVE', text: 'History more history' });
  });

  it('stops at stop dictation, ignoring what follows', () => {
    const { state, results } = replayDictation('FREE_TEXT', spoken('all done period stop dictation ignored words', 'and more'));
    expect(state.stopped).toBe(true);
    expect(editedText(state)).toBe('All done.');
    expect(results[1]).toEqual({ text: '', commands: [] });
  });

  it('writes a command word as a word after "literal", and leaves typed chunks as typed', () => {
    const { state } = replayDictation('FREE_TEXT', [
      ...spoken('mass in the literal colon period'),
      { source: 'TEXT', text: 'Typed: next section period.' },
    ]);
    expect(editedText(state)).toBe('Mass in the colon.\nTyped: next section period.');
  });
});
