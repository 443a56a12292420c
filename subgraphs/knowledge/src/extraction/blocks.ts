/** A paragraph (or list, table row, code block) of extracted text, with the headings it sits under. */
export interface TextBlock {
  text: string;
  /** Enclosing headings, outermost first; empty before the first heading. */
  headings: string[];
  /** 1-based PDF pages the block starts and ends on. */
  page?: number | undefined;
  pageEnd?: number | undefined;
}

export interface ExtractedText {
  blocks: TextBlock[];
  /** PDF only. */
  pageCount?: number | undefined;
}

/** Raised for content that cannot be turned into text; its message is shown to the admin. */
export class ExtractionError extends Error {
  override readonly name = 'ExtractionError';
}

/** Collapses runs of spaces and tabs (not newlines) and trims. */
export function tidy(text: string): string {
  return text
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
}

/** Keeps heading levels: a level-2 heading replaces the previous level-2 and drops deeper ones. */
export function setHeading(stack: string[], level: number, text: string): string[] {
  const next = stack.slice(0, Math.max(0, level - 1));
  while (next.length < level - 1) next.push('');
  next.push(text);
  return next;
}

/** The heading path as shown to users: empty levels skipped. */
export const headingPath = (headings: string[]) => headings.filter(Boolean);
