import { and, desc, eq, ilike, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { Role } from '@voiceassist/auth';
import { isUuid, type Database } from '@voiceassist/database';
import { users, type UserRow } from './db/schema.js';

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface UserListOptions {
  limit: number;
  /** Keyset position from a cursor: the last row of the previous page. */
  after?: { createdAt: Date; id: string };
  search?: string | undefined;
  role?: Role | undefined;
}

export interface Users {
  byIds(ids: readonly string[]): Promise<UserRow[]>;
  /** Newest first; fetches `limit` rows (ask for one more to learn whether a next page exists). */
  list(options: UserListOptions): Promise<UserRow[]>;
}

export function createUsers(db: Database): Users {
  return {
    async byIds(ids) {
      const valid = [...new Set(ids)].filter(isUuid);
      if (valid.length === 0) return [];
      return db.select().from(users).where(inArray(users.id, valid));
    },

    async list({ limit, after, search, role }) {
      const filters: SQL[] = [];
      if (after) {
        filters.push(or(lt(users.createdAt, after.createdAt), and(eq(users.createdAt, after.createdAt), lt(users.id, after.id)))!);
      }
      const term = search?.trim();
      if (term) {
        const pattern = `%${escapeLike(term)}%`;
        filters.push(or(ilike(users.email, pattern), ilike(users.displayName, pattern))!);
      }
      if (role) filters.push(eq(users.role, role));
      return db.select().from(users).where(and(...filters)).orderBy(desc(users.createdAt), desc(users.id)).limit(limit);
    },
  };
}
