import { describe, expect, it } from 'vitest';
import { factSentences, statedFacts } from './memory.js';

describe('facts the user states', () => {
  it('finds role, specialty, preferences and things to remember, and nothing in ordinary questions', () => {
    expect(statedFacts('I am a paediatric cardiologist and my specialty is paediatric cardiology. Can we talk?')).toEqual({ role: 'a paediatric cardiologist', specialty: 'paediatric cardiology' });
    expect(statedFacts("I'm an emergency physician. I prefer doses in mg/kg.")).toEqual({ role: 'an emergency physician', preference: 'doses in mg/kg' });
    expect(statedFacts('I work in general practice, please always give UK drug names')).toEqual({ specialty: 'general practice', preference: 'always give UK drug names' });
    expect(statedFacts('Remember that my clinic runs on Tuesdays.')).toEqual({ note: 'my clinic runs on Tuesdays' });
    expect(statedFacts('I am a bit worried about this patient. What is the dose of amoxicillin?')).toEqual({});
  });

  it('puts facts in the prompt as sentences about the user', () => {
    expect(factSentences({ specialty: 'paediatric cardiology', role: 'a nurse', pager: '1234' })).toEqual([
      'The user’s specialty is paediatric cardiology.',
      'The user is a nurse.',
      'The user’s pager is 1234.',
    ]);
  });
});
