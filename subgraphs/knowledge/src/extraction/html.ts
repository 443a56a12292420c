import { Parser } from 'htmlparser2';
import { setHeading, tidy, type TextBlock } from './blocks.js';

/** Elements whose text is not document content. */
const SKIPPED = new Set(['head', 'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas', 'select', 'button', 'nav']);
/** Elements that end the current block when they open or close. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt', 'fieldset',
  'figcaption', 'figure', 'footer', 'form', 'header', 'hr', 'html', 'li', 'main', 'ol', 'p', 'pre', 'section', 'summary',
  'table', 'tbody', 'tfoot', 'thead', 'tr', 'ul',
]);
const HEADING = /^h([1-6])$/;

/**
 * HTML: markup stripped, entities decoded, headings kept as the section of what follows them;
 * paragraphs, list items (as "- item"), table rows (cells joined by " | ") and preformatted text
 * become blocks. Scripts, styles, navigation and hidden elements are dropped.
 */
export function extractHtml(html: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  let headings: string[] = [];
  let text = '';
  let heading: { level: number; text: string } | undefined;
  let skipDepth = 0;
  let preDepth = 0;
  /** Per open element: whether it started a skipped subtree. */
  const open: boolean[] = [];

  const flush = () => {
    const block = tidy(text.replace(/[ \t\r\n]+/g, (ws) => (ws.includes('\n') && preDepth > 0 ? '\n' : ' ')).replace(/ ?\u2028 ?/g, '\n'));
    text = '';
    if (block) blocks.push({ text: block, headings: [...headings] });
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const skip = skipDepth > 0 || SKIPPED.has(name) || 'hidden' in attributes || attributes['aria-hidden'] === 'true';
        open.push(skip && skipDepth === 0);
        if (skip) {
          skipDepth += open.at(-1) ? 1 : 0;
          return;
        }
        const level = HEADING.exec(name);
        if (level) {
          flush();
          heading = { level: Number(level[1]), text: '' };
        } else if (name === 'br') {
          // A line break inside a block: kept as a line separator (U+2028), not a new block.
          text += '\u2028';
        } else if (BLOCK.has(name)) {
          flush();
          if (name === 'li') text = '- ';
          if (name === 'pre') preDepth += 1;
        } else if (name === 'td' || name === 'th') {
          text += ' | ';
        }
      },
      ontext(data) {
        if (skipDepth > 0) return;
        if (heading) heading.text += data;
        else text += data;
      },
      onclosetag(name) {
        const startedSkip = open.pop();
        if (startedSkip) {
          skipDepth -= 1;
          return;
        }
        if (skipDepth > 0) return;
        if (heading && HEADING.test(name)) {
          const title = tidy(heading.text.replace(/\s+/g, ' '));
          if (title) headings = setHeading(headings, heading.level, title);
          heading = undefined;
        } else if (BLOCK.has(name)) {
          flush();
          if (name === 'pre') preDepth = Math.max(0, preDepth - 1);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  flush();
  // Table rows start with the cell separator; drop it.
  return blocks.map((block) => ({ ...block, text: block.text.replace(/^\| /, '') }));
}
