import { badUserInput } from '@voiceassist/errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return first;
}

/** Opaque to clients; the kind prefix stops a cursor of one list being used on another. */
export function encodeCursor(kind: string, position: unknown[]): string {
  return Buffer.from(JSON.stringify([kind, ...position])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined): unknown[] | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded[0] === kind) return decoded.slice(1);
  } catch {
    // Reported below, like any other cursor we did not issue.
  }
  throw badUserInput('after is not a valid cursor', 'after');
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** `rows` holds up to limit + 1 items; the extra one only says there is a next page. */
export function toConnection<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}
