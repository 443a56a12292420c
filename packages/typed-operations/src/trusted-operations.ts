import { createHash } from 'node:crypto';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';

/**
 * Apollo's persisted query manifest (the router's TRUSTED_OPERATIONS_PATH): each operation's
 * exact text as `body`, under the hex SHA-256 of that text as `id`.
 */
export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: Array<{ id: string; name: string; type: 'query' | 'mutation' | 'subscription'; body: string }>;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The manifest for a generated documents module: every exported operation document (`…Document`;
 * fragments are part of the operations that spread them), with the exact text the client sends,
 * in operation-name order.
 */
export function buildTrustedOperations(documentsModule: Record<string, unknown>): PersistedQueryManifest {
  const operations = Object.entries(documentsModule)
    .filter(([name, value]) => name.endsWith('Document') && value instanceof String)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([exportName, value]) => {
      const body = String(value);
      const operation = parse(body).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      if (!operation?.name) throw new Error(`${exportName} holds no named operation`);
      return { id: sha256Hex(body), name: operation.name.value, type: operation.operation, body };
    });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}
