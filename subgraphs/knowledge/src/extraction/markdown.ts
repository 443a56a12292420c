import { setHeading, tidy, type TextBlock } from './blocks.js';

/** Inline Markdown to plain text: links and images keep their text, emphasis and code marks go. */
export function stripInlineMarkdown(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<(https?:\/\/[^>\s]+)>/g, '$1')
    .replace(/<\/?[A-Za-z][^>]*>/g, '')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, '$1$2')
    .replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
    .replace(/`+([^`]+)`+/g, '$1')
    .replace(/\\([\\`*_{}[\]()#+\-.!|>])/g, '$1');
}

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^\s*(?:[-*+]|\d{1,9}[.)])\s+/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s+\S/;

/**
 * Markdown: ATX and setext headings set the section; paragraphs, list items, table rows and
 * fenced code become blocks; YAML front matter and link reference definitions are dropped.
 */
export function extractMarkdown(source: string): TextBlock[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: TextBlock[] = [];
  let headings: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    const text = tidy(paragraph.map((line) => stripInlineMarkdown(line)).join('\n'));
    paragraph = [];
    if (text) blocks.push({ text, headings: [...headings] });
  };

  let i = 0;
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, n) => n > 0 && /^(---|\.\.\.)\s*$/.test(line));
    if (end > 0) i = end + 1;
  }
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!); i++) code.push(lines[i]!);
      const text = code.join('\n').trim();
      if (text) blocks.push({ text, headings: [...headings] });
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx) {
      flush();
      const title = tidy(stripInlineMarkdown(atx[2] ?? ''));
      if (title) headings = setHeading(headings, atx[1]!.length, title);
      continue;
    }
    const next = lines[i + 1];
    if (paragraph.length === 0 && line.trim() && next !== undefined && /^ {0,3}(=+|-+)\s*$/.test(next) && !LIST_ITEM.test(line)) {
      headings = setHeading(headings, next.trim().startsWith('=') ? 1 : 2, tidy(stripInlineMarkdown(line)));
      i++;
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    if (/^ {0,3}([-*_])(\s*\1){2,}\s*$/.test(line) || REFERENCE_DEFINITION.test(line) || TABLE_SEPARATOR.test(line)) {
      flush();
      continue;
    }
    let content = line.replace(/^ {0,3}>\s?/, '');
    if (/^\s*\|/.test(content)) {
      content = content
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim())
        .join(' | ');
    }
    if (LIST_ITEM.test(content)) {
      content = content.replace(LIST_ITEM, '- ');
      paragraph.push(content);
    } else if (paragraph.length > 0 && (!paragraph.at(-1)!.startsWith('- ') || /^\s/.test(content))) {
      // A hard-wrapped paragraph (or list item continued on an indented line) reads as one line.
      paragraph[paragraph.length - 1] += ` ${content.trim()}`;
    } else {
      paragraph.push(content.trim());
    }
  }
  flush();
  return blocks;
}
