import type * as Pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { ExtractionError, setHeading, tidy, type ExtractedText, type TextBlock } from './blocks.js';

interface Line {
  text: string;
  /** Baseline, in PDF units from the bottom of the page. */
  y: number;
  /** Font size of the line's largest text. */
  size: number;
  page: number;
}

/** Node's own JSON functions, taken before pdf.js can replace them. */
const nativeJson = { parse: JSON.parse, stringify: JSON.stringify };

/**
 * pdf.js's legacy build (the one that runs on Node 20), and its worker module loaded on the
 * first document, bring core-js, which swaps JSON.parse and JSON.stringify for slower
 * polyfills process-wide: 8 % of a flags fan-out's CPU when the services share a process. pdf.js
 * is loaded on the first PDF, and Node's own JSON functions, which already do what those
 * polyfills add, are put back after each document opens.
 */
function restoreNativeJson() {
  JSON.parse = nativeJson.parse;
  JSON.stringify = nativeJson.stringify;
}

let pdfjs: Promise<typeof Pdfjs> | undefined;
const loadPdfjs = () => (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

/** Opens a PDF with pdf.js (no worker thread, no fonts rendered, no scripts), or says why it cannot. */
export async function openPdf(bytes: Uint8Array): Promise<PDFDocumentProxy> {
  try {
    const { getDocument } = await loadPdfjs();
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    return await getDocument({
      data: new Uint8Array(bytes),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      stopAtErrors: false,
      verbosity: 0,
    }).promise;
  } catch (error) {
    if (error instanceof Error && error.name === 'PasswordException') throw new ExtractionError('The PDF is password-protected');
    throw new ExtractionError('The PDF could not be read (damaged or not a PDF)');
  } finally {
    restoreNativeJson();
  }
}

/** Whether the bytes open as a PDF; the reason when they do not. */
export async function checkPdf(bytes: Uint8Array): Promise<void> {
  if (Buffer.from(bytes.subarray(0, 1024)).indexOf('%PDF-') === -1) throw new ExtractionError('The content is not a PDF (no %PDF- header)');
  const pdf = await openPdf(bytes);
  await pdf.destroy();
}

function pageLines(items: TextItem[], page: number): Line[] {
  const lines: Line[] = [];
  let current: Line | undefined;
  for (const item of items) {
    const y = Number(item.transform[5]) || 0;
    const size = Math.abs(Number(item.transform[3]) || item.height || 0);
    // A new line when the baseline moves by more than half the font size.
    if (current && Math.abs(current.y - y) > Math.max(1, Math.min(size, current.size) * 0.5)) {
      lines.push(current);
      current = undefined;
    }
    if (!current) current = { text: '', y, size: 0, page };
    current.text += item.str;
    if (item.str.trim()) current.size = Math.max(current.size, size);
    if (item.hasEOL) {
      lines.push(current);
      current = undefined;
    }
  }
  if (current) lines.push(current);
  return lines
    .map((line) => ({ ...line, text: line.text.replace(/\s+/g, ' ').trim() }))
    .filter((line) => line.text);
}

/** The lower median: with few lines, the line spacing rather than the paragraph spacing. */
function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Joins wrapped lines; a word hyphenated at the end of a line is joined back. */
function joinLines(lines: string[]): string {
  let out = '';
  for (const line of lines) {
    if (!out) out = line;
    else if (/[A-Za-z]-$/.test(out) && /^[a-z]/.test(line)) out = out.slice(0, -1) + line;
    else out += ` ${line}`;
  }
  return out;
}

/**
 * Text of every page, in reading order as pdf.js gives it: lines grouped into paragraphs where
 * the vertical gap is larger than usual, and lines set larger than the body text (and short)
 * taken as headings, bigger sizes as higher levels. Each block keeps its page number.
 */
export async function extractPdf(bytes: Uint8Array): Promise<ExtractedText> {
  const pdf = await openPdf(bytes);
  try {
    const lines: Line[] = [];
    for (let number = 1; number <= pdf.numPages; number++) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      lines.push(...pageLines(content.items.filter((item): item is TextItem => 'str' in item), number));
      page.cleanup();
    }
    const bodySize = median(lines.flatMap((line) => Array<number>(Math.min(line.text.length, 200)).fill(line.size)));
    const isHeading = (line: Line) => bodySize > 0 && line.size > bodySize * 1.15 && line.text.length <= 120 && !/[.,;:]$/.test(line.text);
    const headingSizes = [...new Set(lines.filter(isHeading).map((line) => Math.round(line.size)))].sort((a, b) => b - a);
    const gaps = lines.slice(1).flatMap((line, i) => (line.page === lines[i]!.page && !isHeading(line) && !isHeading(lines[i]!) ? [lines[i]!.y - line.y] : []));
    const usualGap = median(gaps.filter((gap) => gap > 0));

    const blocks: TextBlock[] = [];
    let headings: string[] = [];
    let paragraph: Line[] = [];
    const flush = () => {
      const text = tidy(joinLines(paragraph.map((line) => line.text)));
      if (text) blocks.push({ text, headings: [...headings], page: paragraph[0]!.page, pageEnd: paragraph.at(-1)!.page });
      paragraph = [];
    };
    for (const line of lines) {
      if (isHeading(line)) {
        flush();
        const level = Math.min(3, headingSizes.indexOf(Math.round(line.size)) + 1);
        headings = setHeading(headings, Math.max(1, level), line.text);
        continue;
      }
      const previous = paragraph.at(-1);
      const gap = previous && previous.page === line.page ? previous.y - line.y : 0;
      if (previous && (previous.page !== line.page ? /[.!?:]["')\]]?$/.test(previous.text) : usualGap > 0 && gap > usualGap * 1.4)) flush();
      paragraph.push(line);
    }
    if (paragraph.length) flush();
    return { blocks, pageCount: pdf.numPages };
  } catch (error) {
    if (error instanceof ExtractionError) throw error;
    throw new ExtractionError('The PDF could not be read (damaged or not a PDF)');
  } finally {
    await pdf.destroy();
  }
}
