import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { GraphQLError, Kind, parse } from 'graphql';
import { persistedQueryNotFound } from '@voiceassist/errors';

export type TrustedOperationsMode = 'off' | 'log' | 'safelist';

/** The manifest format: operation documents by the hex SHA-256 of their text. */
export interface TrustedOperationsManifest {
  operations: Record<string, string>;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

export function readTrustedOperations(path: string): TrustedOperationsManifest {
  if (!existsSync(path)) return { operations: {} };
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Partial<TrustedOperationsManifest>;
  const operations: Record<string, string> = {};
  for (const [hash, document] of Object.entries(manifest.operations ?? {})) {
    // Ids are checked against their documents, so a manifest cannot smuggle in another operation.
    if (sha256Hex(document) !== hash) throw new Error(`Trusted operations manifest ${path}: ${hash} does not match its document`);
    operations[hash] = document;
  }
  return { operations };
}

export interface RequestedOperation {
  query?: string | undefined;
  /** GraphQL over HTTP's proposed `documentId`, or Apollo's persisted-query hash. */
  documentId?: string | undefined;
  /** The id is Apollo's persistedQuery hash: an unknown one asks the client to send the document. */
  persistedQuery?: boolean | undefined;
}

export type TrustedOperationsVerdict =
  | { allowed: true; query: string | undefined; untrusted: boolean }
  | { allowed: false; error: GraphQLError };

/**
 * Decides whether an operation may run. `safelist`: only manifest operations, by document or by
 * id alone. `log`: everything runs, unknown ones are reported. `off`: everything runs; ids of
 * manifest operations still resolve.
 */
export function createTrustedOperations(mode: TrustedOperationsMode, manifest: TrustedOperationsManifest) {
  return {
    mode,
    size: Object.keys(manifest.operations).length,
    /** The manifest's operation names: the only ones metrics count by name. */
    operationNames: operationNamesOf(manifest),
    verdict({ query, documentId, persistedQuery }: RequestedOperation): TrustedOperationsVerdict {
      const id = documentId?.replace(/^sha256:/, '');
      if (!query && id) {
        const known = manifest.operations[id];
        if (known) return { allowed: true, query: known, untrusted: false };
        if (persistedQuery) return { allowed: false, error: persistedQueryNotFound() };
        return {
          allowed: false,
          error: new GraphQLError('Unknown operation id', { extensions: { code: 'BAD_USER_INPUT', field: 'documentId', http: { status: 400 } } }),
        };
      }
      if (!query) return { allowed: true, query, untrusted: false };
      const trusted = manifest.operations[sha256Hex(query)] !== undefined;
      if (!trusted && mode === 'safelist') {
        return {
          allowed: false,
          error: new GraphQLError('Only trusted operations may run on this router', {
            extensions: { code: 'FORBIDDEN', reason: 'UNTRUSTED_OPERATION', http: { status: 403 } },
          }),
        };
      }
      return { allowed: true, query, untrusted: !trusted };
    },
  };
}

export type TrustedOperations = ReturnType<typeof createTrustedOperations>;

function operationNamesOf(manifest: TrustedOperationsManifest): string[] {
  return Object.values(manifest.operations).flatMap((document) =>
    parse(document).definitions.flatMap((definition) => (definition.kind === Kind.OPERATION_DEFINITION && definition.name ? [definition.name.value] : [])),
  );
}
