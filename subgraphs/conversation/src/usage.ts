import { and, gte, inArray, sql } from 'drizzle-orm';
import type { Role } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import type { Transaction } from './conversations.js';
import { erasedUsers, tokenUsage } from './db/schema.js';
import type { ConversationEnv } from './env.js';

export interface UsageSummary {
  periodStart: Date;
  periodEnd: Date;
  promptTokens: number;
  completionTokens: number;
  tokens: number;
  budget: number;
  remaining: number;
}

/** Budgets run per UTC calendar month. */
export function budgetPeriod(at = new Date()): { start: Date; end: Date } {
  return {
    start: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)),
    end: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)),
  };
}

export type Budgets = Record<Role, number>;

export const budgetsFromEnv = (env: ConversationEnv): Budgets => ({
  VIEWER: env.BUDGET_TOKENS_VIEWER,
  USER: env.BUDGET_TOKENS_USER,
  ADMIN: env.BUDGET_TOKENS_ADMIN,
  SUPERADMIN: env.BUDGET_TOKENS_SUPERADMIN,
});

export function createUsage(db: Database, budgets: Budgets) {
  return {
    budgetFor: (role: Role): number => budgets[role],

    /** Tokens spent this period by each user, in one query. */
    async spent(userIds: readonly string[], at = new Date()): Promise<Map<string, { promptTokens: number; completionTokens: number }>> {
      const { start } = budgetPeriod(at);
      const rows = await db
        .select({
          userId: tokenUsage.userId,
          promptTokens: sql<string>`coalesce(sum(${tokenUsage.promptTokens}), 0)`,
          completionTokens: sql<string>`coalesce(sum(${tokenUsage.completionTokens}), 0)`,
        })
        .from(tokenUsage)
        .where(and(inArray(tokenUsage.userId, [...userIds]), gte(tokenUsage.createdAt, start)))
        .groupBy(tokenUsage.userId);
      return new Map(rows.map((r) => [r.userId, { promptTokens: Number(r.promptTokens), completionTokens: Number(r.completionTokens) }]));
    },

    summary(spent: { promptTokens: number; completionTokens: number } | undefined, budget: number, at = new Date()): UsageSummary {
      const { start, end } = budgetPeriod(at);
      const promptTokens = spent?.promptTokens ?? 0;
      const completionTokens = spent?.completionTokens ?? 0;
      const tokens = promptTokens + completionTokens;
      return { periodStart: start, periodEnd: end, promptTokens, completionTokens, tokens, budget, remaining: Math.max(0, budget - tokens) };
    },

    /** Not for an erased person: a reply that finishes after their erasure leaves no row naming them. */
    async record(tx: Transaction, entry: { userId: string; messageId: string; promptTokens: number; completionTokens: number; model: string }) {
      await tx.execute(sql`
        insert into ${tokenUsage} (user_id, message_id, prompt_tokens, completion_tokens, model, created_at)
        select ${entry.userId}::uuid, ${entry.messageId}::uuid, ${entry.promptTokens}::integer, ${entry.completionTokens}::integer, ${entry.model}::text, ${new Date().toISOString()}::timestamptz
        where not exists (select 1 from ${erasedUsers} where ${erasedUsers.userId} = ${entry.userId}::uuid)`);
    },
  };
}

export type Usage = ReturnType<typeof createUsage>;
