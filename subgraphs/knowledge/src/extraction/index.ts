import { ExtractionError, type ExtractedText } from './blocks.js';
import { extractHtml } from './html.js';
import { extractMarkdown } from './markdown.js';
import { checkPdf, extractPdf } from './pdf.js';
import { extractPlainText } from './plain.js';

export { ExtractionError, headingPath, type ExtractedText, type TextBlock } from './blocks.js';

export const SUPPORTED_MIME_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/pdf'] as const;
export type SupportedMimeType = (typeof SUPPORTED_MIME_TYPES)[number];

const ALIASES: Record<string, SupportedMimeType> = {
  'text/x-markdown': 'text/markdown',
  'application/xhtml+xml': 'text/html',
  'application/x-pdf': 'application/pdf',
};

/** "Text/HTML; charset=utf-8" → "text/html"; undefined for a type we cannot read. */
export function normalizeMimeType(value: string): SupportedMimeType | undefined {
  const base = value.split(';')[0]!.trim().toLowerCase();
  if ((SUPPORTED_MIME_TYPES as readonly string[]).includes(base)) return base as SupportedMimeType;
  return ALIASES[base];
}

export const isTextFormat = (mimeType: SupportedMimeType) => mimeType !== 'application/pdf';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** UTF-8 text (a byte-order mark is dropped); invalid byte sequences are refused, not guessed. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ExtractionError('The content is not valid UTF-8 text');
  }
}

/** Paragraph blocks with their headings (and pages, for PDF). */
export async function extractText(mimeType: SupportedMimeType, bytes: Uint8Array): Promise<ExtractedText> {
  switch (mimeType) {
    case 'application/pdf':
      return extractPdf(bytes);
    case 'text/html':
      return { blocks: extractHtml(decodeText(bytes)) };
    case 'text/markdown':
      return { blocks: extractMarkdown(decodeText(bytes)) };
    case 'text/plain':
      return { blocks: extractPlainText(decodeText(bytes)) };
  }
}

/**
 * The checks made before a document is accepted: text formats are extracted (fast) and must
 * contain text; a PDF must open (its text is extracted in the background).
 */
export async function checkContent(mimeType: SupportedMimeType, bytes: Uint8Array): Promise<void> {
  if (mimeType === 'application/pdf') return checkPdf(bytes);
  const { blocks } = await extractText(mimeType, bytes);
  if (blocks.length === 0) throw new ExtractionError('The document contains no text');
}
