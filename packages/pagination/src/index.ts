import { badUserInput } from '@voiceassist/errors';

// Relay cursor pagination, one way for every subgraph: `first` checked against a range, and
// opaque cursors that carry their list's kind, so a cursor from one list is refused by another.

export interface PageRequest {
  limit: number;
  /** The decoded `after` cursor's position, or undefined for the first page. */
  after: readonly unknown[] | undefined;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** The error for an `after` cursor this list did not issue. */
export const invalidCursor = () => badUserInput('after is not a valid cursor', 'after');

/**
 * Relay pagination arguments, checked: `first` from 1 to `max` (default `fallback`) and an
 * `after` cursor of this list's `kind`.
 */
export function pageRequest(kind: string, args: { first?: number | null; after?: string | null }, fallback = 20, max = 100): PageRequest {
  const limit = args.first ?? fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw badUserInput(`first must be between 1 and ${max}`, 'first');
  if (args.after === null || args.after === undefined) return { limit, after: undefined };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(args.after, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded[0] !== kind) throw invalidCursor();
  return { limit, after: decoded.slice(1) };
}

export const cursorOf = (kind: string, position: readonly unknown[]): string => Buffer.from(JSON.stringify([kind, ...position])).toString('base64url');

/** A page from `rows` fetched with one row more than `limit`, the extra only telling that more follow. */
export function connectionOf<T>(rows: readonly T[], limit: number, positionOf: (row: T) => readonly unknown[], kind: string): Connection<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: cursorOf(kind, positionOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** A cursor position field that must be a string (a uuid, say), else the cursor is refused. */
export function cursorString(value: unknown, check: (value: string) => boolean = () => true): string {
  if (typeof value !== 'string' || !check(value)) throw invalidCursor();
  return value;
}

/** A cursor position field that must be a timestamp (written as ISO text), else the cursor is refused. */
export function cursorDate(value: unknown): Date {
  const date = new Date(cursorString(value));
  if (Number.isNaN(date.getTime())) throw invalidCursor();
  return date;
}

/** A cursor position field that must be an integer, else the cursor is refused. */
export function cursorInteger(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidCursor();
  return value;
}
