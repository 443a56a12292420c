import { tidy, type TextBlock } from './blocks.js';

const LIST_ITEM = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+/;

/**
 * Plain text: paragraphs are separated by blank lines; lines inside one are joined (hard-wrapped
 * text reads as one paragraph) except list items, which keep their own lines.
 */
export function extractPlainText(text: string): TextBlock[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((paragraph) =>
      tidy(
        paragraph
          .split('\n')
          .map((line, i) => (i > 0 && !LIST_ITEM.test(line) ? ` ${line.trim()}` : `${i > 0 ? '\n' : ''}${line.trim()}`))
          .join(''),
      ),
    )
    .filter(Boolean)
    .map((paragraph) => ({ text: paragraph, headings: [] }));
}
