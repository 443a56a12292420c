import { badUserInput } from '@voiceassist/errors';
import { MAX_TITLE_CHARS } from './conversations.js';

export const MAX_MESSAGE_CHARS = 32_000;
export const MAX_SEARCH_CHARS = 200;


/** Characters as a reader counts them (code points), not UTF-16 units. */
const characters = (text: string) => (text.length <= MAX_MESSAGE_CHARS ? text.length : [...text].length);

export function checkContent(content: string): string {
  if (!content.trim()) throw badUserInput('content must not be empty', 'content');
  if (characters(content) > MAX_MESSAGE_CHARS) throw badUserInput(`content must be at most ${MAX_MESSAGE_CHARS.toLocaleString('en-US')} characters`, 'content');
  if (content.includes('\u0000')) throw badUserInput('content must not contain NUL characters', 'content');
  return content;
}

export function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (!trimmed) throw badUserInput('title must not be empty', 'title');
  if ([...trimmed].length > MAX_TITLE_CHARS) throw badUserInput(`title must be at most ${MAX_TITLE_CHARS} characters`, 'title');
  if (trimmed.includes('\u0000')) throw badUserInput('title must not contain NUL characters', 'title');
  return trimmed;
}

export function checkSearch(search: string | null | undefined): string | undefined {
  if (search === null || search === undefined || !search.trim()) return undefined;
  if (search.length > MAX_SEARCH_CHARS) throw badUserInput(`search must be at most ${MAX_SEARCH_CHARS} characters`, 'search');
  return search;
}
