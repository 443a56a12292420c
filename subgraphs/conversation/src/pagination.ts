import { badUserInput } from '@voiceassist/errors';

export interface PageRequest {
  limit: number;
  /** The decoded `after` cursor, or undefined for the first page. */
  after: readonly unknown[] | undefined;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Relay pagination arguments, checked: `first` from 1 to `max` (default `fallback`) and an
 * `after` cursor of this list's `kind` (a cursor from another list is refused).
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
  if (!Array.isArray(decoded) || decoded[0] !== kind) throw badUserInput('after is not a valid cursor', 'after');
  return { limit, after: decoded.slice(1) };
}

export const cursorOf = (kind: string, position: readonly unknown[]): string => Buffer.from(JSON.stringify([kind, ...position])).toString('base64url');

/** A page from `rows` fetched with one row more than `limit`, the extra only telling that more follow. */
export function connectionOf<T>(rows: readonly T[], limit: number, positionOf: (row: T) => readonly unknown[], kind: string): Connection<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: cursorOf(kind, positionOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** A cursor position field that must be a string (a timestamp or uuid), else the cursor is refused. */
export function cursorString(value: unknown, check: (value: string) => boolean = () => true): string {
  if (typeof value !== 'string' || !check(value)) throw badUserInput('after is not a valid cursor', 'after');
  return value;
}
