import { describe, expect, it } from 'vitest';
import { makePdf } from '../testing/pdf.js';
import { checkContent, ExtractionError, extractText, normalizeMimeType } from './index.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('text extraction', () => {
  it('HTML: strips markup and scripts, decodes entities, keeps headings as sections and list items as lines', async () => {
    const html = `<!doctype html><html><head><title>Ignored</title><style>p{color:red}</style></head><body>
      <nav><a href="/">Home</a></nav>
      <h1>Sepsis &amp; septic shock</h1>
      <p>Give <b>antibiotics</b> within one&nbsp;hour.<br>Take cultures first.</p>
      <script>alert('x')</script>
      <h2>Fluids</h2><ul><li>30 mL/kg crystalloid</li><li>Reassess after each bolus</li></ul>
      <table><tr><th>Drug</th><th>Dose</th></tr><tr><td>Noradrenaline</td><td>0.05 µg/kg/min</td></tr></table>
      <div hidden>secret draft</div>
      <h2>Vasopressors</h2><p>Noradrenaline first.</p></body></html>`;
    const { blocks } = await extractText('text/html', utf8(html));
    expect(blocks).toEqual([
      { text: 'Give antibiotics within one hour.\nTake cultures first.', headings: ['Sepsis & septic shock'] },
      { text: '- 30 mL/kg crystalloid', headings: ['Sepsis & septic shock', 'Fluids'] },
      { text: '- Reassess after each bolus', headings: ['Sepsis & septic shock', 'Fluids'] },
      { text: 'Drug | Dose', headings: ['Sepsis & septic shock', 'Fluids'] },
      { text: 'Noradrenaline | 0.05 µg/kg/min', headings: ['Sepsis & septic shock', 'Fluids'] },
      { text: 'Noradrenaline first.', headings: ['Sepsis & septic shock', 'Vasopressors'] },
    ]);
  });

  it('Markdown: headings (ATX and setext) set sections; inline markup, front matter and link targets go', async () => {
    const markdown = [
      '---',
      'author: someone',
      '---',
      'Asthma guideline',
      '================',
      '',
      'Give **salbutamol** via a [spacer](https://example.org/spacer) and',
      'check `inhaler technique`.',
      '',
      '## Severe attacks ##',
      '',
      '- Oral _prednisolone_ 40 mg',
      '- IV magnesium',
      '  for life-threatening attacks',
      '',
      '```',
      'peak flow < 33% = life-threatening',
      '```',
    ].join('\n');
    const { blocks } = await extractText('text/markdown', utf8(markdown));
    expect(blocks).toEqual([
      { text: 'Give salbutamol via a spacer and check inhaler technique.', headings: ['Asthma guideline'] },
      { text: '- Oral prednisolone 40 mg\n- IV magnesium for life-threatening attacks', headings: ['Asthma guideline', 'Severe attacks'] },
      { text: 'peak flow < 33% = life-threatening', headings: ['Asthma guideline', 'Severe attacks'] },
    ]);
  });

  it('plain text: blank lines separate paragraphs, wrapped lines are joined', async () => {
    const { blocks } = await extractText('text/plain', utf8('\uFEFFFirst line\nwraps here.\n\n\nSecond paragraph.\r\n- item one\r\n- item two\n'));
    expect(blocks.map((b) => b.text)).toEqual(['First line wraps here.', 'Second paragraph.\n- item one\n- item two']);
  });

  it('PDF: text per page with page numbers, larger type as headings, wrapped lines joined', async () => {
    const pdf = await makePdf([
      { heading: 'Anticoagulation', paragraphs: ['Direct oral anticoagulants are preferred to warfarin for most patients with atrial fibrillation who need anticoagulation.', 'Check renal function before starting.'] },
      { paragraphs: ['The usual INR target on warfarin is 2.0 to 3.0.'] },
    ]);
    const { blocks, pageCount } = await extractText('application/pdf', pdf);
    expect(pageCount).toBe(2);
    expect(blocks).toEqual([
      { text: 'Direct oral anticoagulants are preferred to warfarin for most patients with atrial fibrillation who need anticoagulation.', headings: ['Anticoagulation'], page: 1, pageEnd: 1 },
      { text: 'Check renal function before starting.', headings: ['Anticoagulation'], page: 1, pageEnd: 1 },
      { text: 'The usual INR target on warfarin is 2.0 to 3.0.', headings: ['Anticoagulation'], page: 2, pageEnd: 2 },
    ]);
  });

  it('refuses what it cannot read with a reason for the admin', async () => {
    await expect(checkContent('application/pdf', utf8('%PDF-1.7 but then garbage'))).rejects.toThrow(ExtractionError);
    await expect(checkContent('application/pdf', utf8('plain words'))).rejects.toThrow('The content is not a PDF (no %PDF- header)');
    await expect(checkContent('text/plain', new Uint8Array([0xff, 0xfe, 0x41]))).rejects.toThrow('The content is not valid UTF-8 text');
    await expect(checkContent('text/html', utf8('<html><script>x()</script></html>'))).rejects.toThrow('The document contains no text');
    await expect(checkContent('application/pdf', await makePdf([{ paragraphs: ['ok'] }]))).resolves.toBeUndefined();
  });

  it('normalises mime types and refuses unknown ones', () => {
    expect(normalizeMimeType('Text/HTML; charset=utf-8')).toBe('text/html');
    expect(normalizeMimeType('text/x-markdown')).toBe('text/markdown');
    expect(normalizeMimeType('application/msword')).toBeUndefined();
  });
});
