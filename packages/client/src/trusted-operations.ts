import { createHash } from 'node:crypto';

/** The router's manifest format (router/src/edge/trusted-operations.ts): documents by the hex SHA-256 of their text. */
export interface TrustedOperationsManifest {
  operations: Record<string, string>;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The manifest for a generated documents module: every exported operation document (`…Document`;
 * fragments are part of the operations that spread them), keyed by the hash of the exact text the
 * client sends, in operation-name order.
 */
export function buildTrustedOperations(documentsModule: Record<string, unknown>): TrustedOperationsManifest {
  const entries = Object.entries(documentsModule)
    .filter(([name, value]) => name.endsWith('Document') && value instanceof String)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, value]) => {
      const text = String(value);
      return [sha256Hex(text), text] as const;
    });
  return { operations: Object.fromEntries(entries) };
}
