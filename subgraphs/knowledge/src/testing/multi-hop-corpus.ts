import type { CorpusPassage } from './clinical-corpus.js';

/**
 * Two-hop questions for the multi-hop retrieval benchmark, written for this project: each asks
 * about something a first passage selects by name (a local protocol, regimen or bundle, all made
 * up, not for clinical use) and a second passage describes. Neither passage answers alone: the
 * first names the protocol without its details, the second gives the details under a name the
 * question never says (nor the drug). Searched together with the clinical corpus, which supplies distractors.
 */
export const MULTI_HOP_PASSAGES: CorpusPassage[] = [
  { key: 'sepsis-pathway', title: 'Sepsis pathway: local choices', text: 'On the adult wards, the sepsis pathway selects the Harbour protocol for vasopressor support outside intensive care. Escalate to the critical care outreach team at the same time.' },
  { key: 'harbour-protocol', title: 'Harbour protocol', text: 'Harbour protocol: noradrenaline starts at 0.05 micrograms per kg per minute through a peripheral cannula and is titrated every five minutes to a mean arterial pressure of 65 mmHg.' },
  { key: 'stroke-seizures', title: 'Stroke unit: seizure management', text: 'For seizures after an acute stroke, the stroke unit adopted the Calder regimen as its standard anticonvulsant plan in 2024.' },
  { key: 'calder-regimen', title: 'Calder regimen', text: 'Calder regimen: levetiracetam 20 mg/kg intravenously as a loading dose, then 500 mg twice daily by mouth, reviewed at three months.' },
  { key: 'ckd-anaemia', title: 'Kidney clinic: anaemia', text: 'In chronic kidney disease with anaemia, the kidney clinic follows the Elm iron bundle before any erythropoiesis-stimulating agent is considered.' },
  { key: 'elm-bundle', title: 'Elm iron bundle', text: 'Elm iron bundle: ferric carboxymaltose 1000 mg as a single infusion over fifteen minutes, with ferritin and transferrin saturation rechecked after four weeks.' },
  { key: 'surgery-vte', title: 'Surgical admissions: clot prevention', text: 'For venous thromboembolism prophylaxis after hip replacement, the orthopaedic service names the Kestrel schedule in its admission order set.' },
  { key: 'kestrel-schedule', title: 'Kestrel schedule', text: 'Kestrel schedule: enoxaparin 40 mg subcutaneously once daily starting six to twelve hours after the operation and continued for 28 days.' },
  { key: 'paeds-croup', title: 'Children’s emergency: croup', text: 'For croup in children, the paediatric emergency guideline recommends the Linden steroid plan whatever the severity.' },
  { key: 'linden-plan', title: 'Linden steroid plan', text: 'Linden steroid plan: a single oral dose of dexamethasone 0.15 mg/kg, repeated after 12 hours only if stridor at rest returns.' },
  { key: 'delirium-sedation', title: 'Older people’s wards: agitation', text: 'When an older patient with delirium is severely distressed, the frailty service prefers the Marsh sedation card to any other sedative plan.' },
  { key: 'marsh-card', title: 'Marsh sedation card', text: 'Marsh sedation card: haloperidol 0.5 mg orally, at most twice in 24 hours, avoided in Parkinson disease and Lewy body dementia.' },
  { key: 'pain-ladder', title: 'Palliative care: pain', text: 'For moderate cancer pain, the palliative care team chose the Rowan opioid step as the first strong opioid plan.' },
  { key: 'rowan-step', title: 'Rowan opioid step', text: 'Rowan opioid step: oral morphine sulfate 5 mg every four hours with laxatives, and breakthrough doses of one sixth of the daily total.' },
  { key: 'asthma-clinic', title: 'Asthma clinic: step-up', text: 'When asthma stays uncontrolled on a low-dose inhaled steroid, the asthma clinic selects the Birch inhaler plan for adults.' },
  { key: 'birch-plan', title: 'Birch inhaler plan', text: 'Birch inhaler plan: budesonide with formoterol 200/6 micrograms, one inhalation twice daily and one as needed, up to eight a day.' },
  { key: 'gi-bleed', title: 'Upper GI bleeding: triage', text: 'After endoscopic treatment of a bleeding peptic ulcer, the gastroenterology unit adopted the Cedar acid protocol for every patient.' },
  { key: 'cedar-protocol', title: 'Cedar acid protocol', text: 'Cedar acid protocol: intravenous pantoprazole 80 mg as a bolus followed by 8 mg per hour for 72 hours, then oral dosing.' },
  { key: 'migraine-clinic', title: 'Headache clinic: prevention', text: 'For chronic migraine after two failed preventives, the headache clinic names the Alder injection course as its next step.' },
  { key: 'alder-course', title: 'Alder injection course', text: 'Alder injection course: onabotulinumtoxinA 155 units across 31 sites every twelve weeks, stopped after two cycles without benefit.' },
];

export interface MultiHopQuestion {
  question: string;
  /** Keys of the passages an answer needs: the one that selects, then the one that describes. */
  answers: [string, string];
}

export const MULTI_HOP_QUESTIONS: MultiHopQuestion[] = [
  { question: 'What starting dose does the vasopressor protocol that the sepsis pathway selects use?', answers: ['sepsis-pathway', 'harbour-protocol'] },
  { question: 'What is the loading dose in the regimen that the stroke unit adopted for seizures?', answers: ['stroke-seizures', 'calder-regimen'] },
  { question: 'How much is given in the bundle that the kidney clinic follows for anaemia?', answers: ['ckd-anaemia', 'elm-bundle'] },
  { question: 'For how many days is the schedule named by the orthopaedic service for hip replacement continued?', answers: ['surgery-vte', 'kestrel-schedule'] },
  { question: 'What dose is in the steroid plan that the paediatric emergency guideline recommends for croup?', answers: ['paeds-croup', 'linden-plan'] },
  { question: 'Which drug and dose are on the sedation card preferred by the frailty service for delirium?', answers: ['delirium-sedation', 'marsh-card'] },
  { question: 'What dose starts the opioid plan that the palliative care team chose for cancer pain?', answers: ['pain-ladder', 'rowan-step'] },
  { question: 'Which inhaler is in the plan that the asthma clinic selects when asthma stays uncontrolled?', answers: ['asthma-clinic', 'birch-plan'] },
  { question: 'What infusion rate does the acid protocol that the gastroenterology unit adopted use?', answers: ['gi-bleed', 'cedar-protocol'] },
  { question: 'How many units are injected in the course that the headache clinic names for chronic migraine?', answers: ['migraine-clinic', 'alder-course'] },
];
