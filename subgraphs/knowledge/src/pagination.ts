import { badUserInput } from '@voiceassist/errors';
import { isUuid } from './documents.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  return size;
}

/** Documents are listed newest first; a cursor is the position of the last one seen. */
export function encodeDocumentCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify(['document', row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeDocumentCursor(cursor: string | null | undefined): { createdAt: Date; id: string } | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    const [kind, createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = typeof createdAt === 'string' ? new Date(createdAt) : undefined;
    if (kind === 'document' && date && !Number.isNaN(date.getTime()) && typeof id === 'string' && isUuid(id)) return { createdAt: date, id };
  } catch {
    // Reported below like any cursor we did not issue.
  }
  throw badUserInput('after is not a valid cursor', 'after');
}
