/**
 * A small clinical-guideline-style corpus for the retrieval-quality test: short passages written
 * for this project (paraphrased common practice, not copied from any guideline, not for clinical
 * use) and questions phrased as a clinician would ask them, each with the passage that answers it.
 * Some questions share words with their passage, some only word forms, abbreviations or
 * misspellings, some neither, as real questions do.
 */
export interface CorpusPassage {
  key: string;
  title: string;
  text: string;
}

export const CLINICAL_PASSAGES: CorpusPassage[] = [
  { key: 'sepsis-antibiotics', title: 'Sepsis: antimicrobial timing', text: 'In adults with possible septic shock or a high likelihood of sepsis, give broad-spectrum antimicrobials immediately, ideally within one hour of recognition. Take blood cultures before the first dose when this does not delay treatment. Review the choice daily and narrow it once culture results are known.' },
  { key: 'sepsis-fluids', title: 'Sepsis: fluid resuscitation', text: 'For sepsis-induced hypoperfusion or septic shock, give at least 30 mL/kg of intravenous crystalloid within the first three hours. Balanced solutions such as Hartmann\'s are preferred to normal saline. Reassess the patient after each bolus using heart rate, blood pressure, capillary refill and urine output.' },
  { key: 'sepsis-vasopressors', title: 'Sepsis: vasopressors', text: 'Noradrenaline (norepinephrine) is the first-choice vasopressor when mean arterial pressure stays below 65 mmHg despite adequate fluid. It can be started through a peripheral cannula while central access is arranged. Add vasopressin when noradrenaline alone does not reach the target.' },
  { key: 'htn-first-line', title: 'Hypertension: choosing a first drug', text: 'For adults with primary hypertension, a thiazide-like diuretic, an ACE inhibitor, an angiotensin receptor blocker or a calcium channel blocker are suitable first-line agents. In Black adults without chronic kidney disease, start with a calcium channel blocker or a thiazide-like diuretic. Most patients eventually need two or more agents.' },
  { key: 'htn-target', title: 'Hypertension: blood pressure targets', text: 'Aim for a clinic blood pressure below 130/80 mmHg in most adults who tolerate it, and below 140/90 mmHg in frail older people. Confirm the diagnosis with ambulatory or home readings before starting lifelong treatment. Recheck within four weeks of any change of dose.' },
  { key: 'htn-emergency', title: 'Hypertensive emergency', text: 'A hypertensive emergency is severely raised blood pressure with acute organ damage such as encephalopathy, aortic dissection or pulmonary oedema. Lower the mean arterial pressure by no more than 25 percent in the first hour with an intravenous agent such as labetalol or nicardipine. Rapid normalisation risks stroke and renal injury.' },
  { key: 'acei-cough', title: 'ACE inhibitors: adverse effects', text: 'A dry, persistent cough develops in up to one in ten people taking an ACE inhibitor such as ramipril or lisinopril. It settles within weeks of stopping; an angiotensin receptor blocker is the usual replacement. Angioedema is rare but can be life-threatening and means the class must never be restarted.' },
  { key: 'dm-metformin', title: 'Type 2 diabetes: initial therapy', text: 'Metformin is the first-line glucose-lowering drug in type 2 diabetes unless it is contraindicated or not tolerated. Start with 500 mg once daily with food and increase slowly to limit gastrointestinal side effects. Reduce the dose when eGFR falls below 45 and stop it below 30.' },
  { key: 'dm-sglt2', title: 'SGLT2 inhibitors', text: 'SGLT2 inhibitors such as empagliflozin and dapagliflozin lower glucose and also reduce hospital admission for heart failure and slow the decline of kidney function. Warn patients about genital fungal infections and about euglycaemic ketoacidosis; pause them during acute illness or before surgery.' },
  { key: 'hypoglycaemia', title: 'Hypoglycaemia in adults', text: 'Treat hypoglycaemia, a blood glucose below 4 mmol/L, in a person who can swallow with 15 to 20 g of fast-acting carbohydrate such as glucose tablets or fruit juice. Recheck the capillary glucose after 15 minutes and repeat if still low. If the person is unconscious or cannot swallow, give glucagon 1 mg intramuscularly or intravenous glucose.' },
  { key: 'dka', title: 'Diabetic ketoacidosis (DKA)', text: 'Manage diabetic ketoacidosis with intravenous fluids and a fixed-rate intravenous insulin infusion at 0.1 units per kg per hour. Add potassium to the fluids according to the serum level, and continue the patient\'s long-acting insulin. Measure blood ketones and venous glucose every hour.' },
  { key: 'asthma-acute', title: 'Acute asthma in adults', text: 'In an acute asthma attack give high-dose inhaled or nebulised salbutamol, with ipratropium when severe. Give oral prednisolone 40 to 50 mg daily for at least five days. Consider a single dose of intravenous magnesium sulfate for life-threatening or poorly responding attacks.' },
  { key: 'copd-exacerbation', title: 'COPD exacerbations', text: 'During an exacerbation of chronic obstructive pulmonary disease, give controlled oxygen to keep saturation between 88 and 92 percent to avoid hypercapnia. Use short-acting bronchodilators and prednisolone 30 mg daily for five days. Give antibiotics when the sputum is purulent.' },
  { key: 'pneumonia-curb65', title: 'Community-acquired pneumonia: severity', text: 'The CURB-65 score grades community-acquired pneumonia: one point each for confusion, urea above 7 mmol/L, respiratory rate of 30 or more, low blood pressure and age 65 or over. A score of 0 or 1 usually allows treatment at home, while 3 or more means severe pneumonia needing hospital care.' },
  { key: 'pe-diagnosis', title: 'Suspected pulmonary embolism (PE)', text: 'When pulmonary embolism is suspected, estimate the clinical probability with the two-level Wells score. If PE is unlikely, measure D-dimer and stop investigating when it is negative. If PE is likely, arrange CT pulmonary angiography and start interim anticoagulation while waiting.' },
  { key: 'dvt-treatment', title: 'Deep vein thrombosis: treatment', text: 'Treat a confirmed deep vein thrombosis with a direct oral anticoagulant such as apixaban or rivaroxaban. Continue for at least three months when the clot was provoked by a temporary risk factor such as surgery. Consider longer treatment after an unprovoked clot if the bleeding risk is low.' },
  { key: 'af-anticoagulation', title: 'Atrial fibrillation: stroke prevention', text: 'Assess stroke risk in atrial fibrillation with the CHA2DS2-VASc score and bleeding risk with ORBIT or HAS-BLED. Offer anticoagulation to men with a score of 1 or more and women with a score of 2 or more. Direct oral anticoagulants are preferred to warfarin for most patients.' },
  { key: 'warfarin-inr', title: 'Warfarin: high INR', text: 'The usual INR target on warfarin is 2.0 to 3.0. With an INR above 8 and no bleeding, withhold warfarin and give oral vitamin K 1 to 5 mg. Major bleeding at any INR needs intravenous vitamin K and prothrombin complex concentrate.' },
  { key: 'stroke-thrombolysis', title: 'Acute ischaemic stroke', text: 'Thrombolysis with alteplase is given to eligible patients with acute ischaemic stroke within 4.5 hours of symptom onset, once intracranial haemorrhage is excluded on imaging. Mechanical thrombectomy is offered for large vessel occlusion, up to 24 hours in selected patients.' },
  { key: 'acs-initial', title: 'Suspected acute coronary syndrome', text: 'In suspected acute coronary syndrome give a 300 mg loading dose of aspirin unless allergic, record a 12-lead ECG within ten minutes of arrival, and measure high-sensitivity troponin. Offer pain relief and oxygen only if saturation is below 94 percent.' },
  { key: 'stemi-pci', title: 'STEMI reperfusion', text: 'For ST-elevation myocardial infarction, primary percutaneous coronary intervention is the preferred reperfusion if it can be delivered within 120 minutes of the time fibrinolysis could have been given. Otherwise give fibrinolysis and transfer for angiography.' },
  { key: 'hf-reduced', title: 'Heart failure with reduced ejection fraction', text: 'The four foundation medicines for heart failure with reduced ejection fraction are an ACE inhibitor or sacubitril-valsartan, a beta blocker, a mineralocorticoid receptor antagonist and an SGLT2 inhibitor. Start them early and increase to target doses, checking potassium and renal function.' },
  { key: 'anaphylaxis', title: 'Anaphylaxis', text: 'In anaphylaxis give intramuscular adrenaline 0.5 mg (0.5 mL of 1 in 1000) into the anterolateral thigh for an adult, and repeat after five minutes if there is no improvement. Lay the patient flat with the legs raised, give high-flow oxygen and an intravenous fluid bolus.' },
  { key: 'paracetamol-overdose', title: 'Paracetamol overdose', text: 'After a single paracetamol overdose, measure the plasma level at four hours or later and treat with acetylcysteine when it is on or above the treatment line. Staggered overdoses and those of uncertain timing are treated regardless of the level.' },
  { key: 'hyperkalaemia', title: 'Hyperkalaemia', text: 'In severe hyperkalaemia with ECG changes, give 30 mL of 10 percent calcium gluconate intravenously to protect the heart. Shift potassium into cells with insulin and glucose and nebulised salbutamol, then remove it from the body with binders or dialysis.' },
  { key: 'aki', title: 'Acute kidney injury', text: 'In acute kidney injury, review every medicine: stop nephrotoxic drugs such as NSAIDs and aminoglycosides, and pause ACE inhibitors, diuretics and metformin. Assess volume status, monitor urine output and creatinine, and look for obstruction with an ultrasound.' },
  { key: 'uti-women', title: 'Lower urinary tract infection in women', text: 'For uncomplicated lower urinary tract infection (cystitis) in non-pregnant women, give nitrofurantoin for three days, or trimethoprim when resistance is unlikely. Advise fluids and paracetamol, and send a urine culture if symptoms persist.' },
  { key: 'cellulitis', title: 'Cellulitis', text: 'Treat cellulitis with flucloxacillin; use clarithromycin or doxycycline for people allergic to penicillin. Mark the edge of the redness to follow its spread and review after two to three days. Facial cellulitis and systemic features need intravenous antibiotics.' },
  { key: 'c-difficile', title: 'Clostridioides difficile infection', text: 'Treat C. difficile infection with oral vancomycin or fidaxomicin and stop any antibiotic that is not essential. Isolate the patient. Wash hands with soap and water, because alcohol hand gel does not kill the spores.' },
  { key: 'delirium', title: 'Delirium in older people', text: 'Delirium is an acute and fluctuating disturbance of attention and awareness, common in older people in hospital. Look for precipitants such as infection, new medicines, urinary retention, constipation and pain. Use reorientation and sleep measures; reserve low-dose haloperidol for severe distress.' },
  { key: 'falls', title: 'Falls in older people', text: 'After a fall, offer a multifactorial assessment: gait and balance, vision, continence, postural hypotension and a medication review focused on sedatives and antihypertensives. Strength and balance exercise programmes reduce further falls.' },
  { key: 'depression-ssri', title: 'Depression: drug treatment', text: 'When a medicine is needed for moderate or severe depression, an SSRI such as sertraline is usually the first choice. Review within two to four weeks, and within one week for people under 25, who have a higher risk of suicidal thoughts when starting.' },
  { key: 'alcohol-withdrawal', title: 'Alcohol withdrawal', text: 'Manage alcohol withdrawal with a reducing regimen of chlordiazepoxide guided by a withdrawal score. Give parenteral thiamine before any glucose to patients at risk, to prevent Wernicke encephalopathy.' },
  { key: 'migraine', title: 'Migraine', text: 'Treat an acute migraine with an oral triptan combined with an NSAID or paracetamol; avoid opioids. For frequent attacks offer prophylaxis with propranolol, amitriptyline or topiramate, avoiding topiramate in those who could become pregnant.' },
  { key: 'child-fever', title: 'Fever in young children', text: 'Assess fever in children under five with a traffic-light system of warning signs. Any infant younger than three months with a temperature of 38 degrees or higher is at high risk of serious illness and needs urgent assessment.' },
  { key: 'influenza-vaccine', title: 'Influenza vaccination', text: 'Offer the yearly influenza (flu) vaccine to everyone aged 65 or over, pregnant women, people with chronic heart, lung, kidney or liver disease or diabetes, and front-line health and social care workers.' },
  { key: 'opioid-conversion', title: 'Opioid dose conversion', text: 'To change oral morphine to a subcutaneous infusion, divide the 24-hour oral dose by two. Oral oxycodone is about one and a half to two times as potent as oral morphine. Prescribe breakthrough doses of one sixth of the 24-hour dose.' },
  { key: 'hand-hygiene', title: 'Hand hygiene', text: 'Clean hands at the five moments: before touching a patient, before a clean or aseptic procedure, after body fluid exposure, after touching a patient and after touching their surroundings. Alcohol rub is fine unless hands are visibly soiled.' },
];

export interface CorpusQuestion {
  question: string;
  /** The key of the passage that answers it. */
  answer: string;
}

export const CLINICAL_QUESTIONS: CorpusQuestion[] = [
  { question: 'How quickly should antibiotics be started in septic shock?', answer: 'sepsis-antibiotics' },
  { question: 'How much IV fluid should a septic patient with low blood pressure get?', answer: 'sepsis-fluids' },
  { question: 'Which vasopressor comes first if MAP stays under 65?', answer: 'sepsis-vasopressors' },
  { question: 'best initial antihypertensive for a black patient', answer: 'htn-first-line' },
  { question: 'patient on lisinopril with a dry cough, what do I switch to?', answer: 'acei-cough' },
  { question: 'What is the starting drug for type 2 diabetes?', answer: 'dm-metformin' },
  { question: 'treating a hypo in a diabetic who is still able to swallow', answer: 'hypoglycaemia' },
  { question: 'insulin infusion rate in DKA', answer: 'dka' },
  { question: 'steroid dose for an acute asthma attack', answer: 'asthma-acute' },
  { question: 'target sats in COPD', answer: 'copd-exacerbation' },
  { question: 'severity score for community acquired pneumonia', answer: 'pneumonia-curb65' },
  { question: 'work-up of a suspected PE', answer: 'pe-diagnosis' },
  { question: 'how long to anticoagulate after a provoked DVT', answer: 'dvt-treatment' },
  { question: 'when should I anticoagulate someone with AF?', answer: 'af-anticoagulation' },
  { question: 'INR of 9 on warfarin, not bleeding', answer: 'warfarin-inr' },
  { question: 'time window for thrombolysis in ischemic stroke', answer: 'stroke-thrombolysis' },
  { question: 'aspirin loading dose for chest pain', answer: 'acs-initial' },
  { question: 'reperfusion timing for STEMI', answer: 'stemi-pci' },
  { question: 'which medications for HFrEF', answer: 'hf-reduced' },
  { question: 'adrenaline dose in anaphylactic reaction', answer: 'anaphylaxis' },
  { question: 'when to give acetylcysteine after paracetamol ingestion', answer: 'paracetamol-overdose' },
  { question: 'emergency treatment of high potassium', answer: 'hyperkalaemia' },
  { question: 'antibiotic for cystitis in a woman', answer: 'uti-women' },
  { question: 'cellulitis treatment if allergic to penicillin', answer: 'cellulitis' },
  { question: 'does alcohol gel kill C diff spores', answer: 'c-difficile' },
  { question: 'acute confusion in an elderly inpatient', answer: 'delirium' },
  { question: 'first-line antidepressant', answer: 'depression-ssri' },
  { question: 'thiamine before glucose in alcoholics to prevent Wernicke', answer: 'alcohol-withdrawal' },
  { question: 'migrane prophylaxis options', answer: 'migraine' },
  { question: 'febrile infant under 3 months', answer: 'child-fever' },
  { question: 'converting oral morphine to a syringe driver', answer: 'opioid-conversion' },
  { question: 'who should get the flu jab', answer: 'influenza-vaccine' },
  { question: 'which drugs to stop in acute kidney injury', answer: 'aki' },
  { question: 'how to assess an older patient after a fall', answer: 'falls' },
  // American spellings against British-English guidelines, and slips of speech-to-text:
  { question: 'hyperkalemia with peaked T waves', answer: 'hyperkalaemia' },
  { question: 'hypoglycemia treatment with glucose tablets', answer: 'hypoglycaemia' },
  { question: 'pulmonary edema in a hypertensive crisis', answer: 'htn-emergency' },
  { question: 'what is the adrenalin dose for anaphylaxis', answer: 'anaphylaxis' },
  { question: 'anti biotics for celulitis', answer: 'cellulitis' },
  { question: 'norepinephrine for septic shock', answer: 'sepsis-vasopressors' },
  { question: 'metformin when the egfr is low', answer: 'dm-metformin' },
  { question: 'salbutamol nebs for severe asthma', answer: 'asthma-acute' },
];
