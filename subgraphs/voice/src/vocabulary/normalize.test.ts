import { describe, expect, it } from 'vitest';
import { builtInLexicon, createNormalizer } from './normalize.js';

const { normalize, prompt } = createNormalizer(builtInLexicon());

describe('transcript normalization with the shipped lexicon', () => {
  it.each([
    ['blood pressure target is below one hundred thirty over eighty', 'BP target is below 130/80'],
    ['blood pressure target is below one hundred thirty overrated', 'BP target is below 130/80'],
    ['metformin five hundred milligrams b i d', 'metformin 500 mg BID'],
    ['Aspirin eighty one milligrams once daily by mouth', 'Aspirin 81 mg QD PO'],
    ['give zero point five milligrams of lorazepam i v as needed', 'give 0.5 mg of lorazepam IV PRN'],
    ['heart rate is eighty eight beats per minute.', 'HR is 88 bpm.'],
    ['temperature thirty eight point two degrees celsius', 'temperature 38.2 °C'],
    ['check the h b a one c and e g f r', 'check the HbA1c and eGFR'],
    ['one thousand two hundred fifty milliliters', '1250 mL'],
    ['take one tablet, no one else', 'take one tablet, no one else'],
    ['a fifty four year old man', 'a 54 year old man'],
    ['pressure is one fifty over ninety. Lungs are clear', 'pressure is 150/90. Lungs are clear'],
    ['hello world this is a test', 'hello world this is a test'],
  ])('%s → %s', (spoken, written) => {
    expect(normalize(spoken)).toBe(written);
  });

  it('adds terms an organisation defines, longest spoken form first', () => {
    const org = createNormalizer([...builtInLexicon(), { written: 'Zyntrava', spoken: ['zin trava', 'sin traver'], kind: 'drug' }]);
    expect(org.normalize('start sin traver ten milligrams')).toBe('start Zyntrava 10 mg');
    expect(normalize('start sin traver ten milligrams')).toBe('start sin traver 10 mg');
  });

  it('biases recognition towards drug names and abbreviations', () => {
    expect(prompt).toContain('metformin');
    expect(prompt).toContain('BID');
  });
});
