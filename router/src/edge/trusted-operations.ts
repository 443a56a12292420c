import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { GraphQLError, Kind, parse } from 'graphql';
import { persistedQueryNotFound } from '@voiceassist/errors';

export type TrustedOperationsMode = 'off' | 'log' | 'safelist';

/** Trusted operation documents by id: the hex SHA-256 (or, from GraphQL Code Generator, SHA-1) of their text. */
export interface TrustedOperationsManifest {
  operations: Record<string, string>;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const sha1Hex = (text: string) => createHash('sha1').update(text).digest('hex');

/** Apollo's persisted query manifest (what `generate-persisted-query-manifest` and Rover write). */
interface ApolloPersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: Array<{ id: string; name?: string; type?: string; body: string }>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a manifest in Apollo's persisted query manifest format, or GraphQL Code Generator's
 * `persistedDocuments` map (`{ "sha256:<hex>" | "<sha1 hex>": document }`). A missing file is an
 * empty manifest.
 */
export function readTrustedOperations(path: string): TrustedOperationsManifest {
  if (!existsSync(path)) return { operations: {} };
  return parseTrustedOperations(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);
}

export function parseTrustedOperations(manifest: unknown, source = 'manifest'): TrustedOperationsManifest {
  const fail = (why: string) => new Error(`Trusted operations ${source}: ${why}`);
  let entries: Array<[string, unknown]>;
  if (isRecord(manifest) && manifest.format === 'apollo-persisted-query-manifest') {
    const { version, operations } = manifest as Partial<ApolloPersistedQueryManifest>;
    if (version !== 1) throw fail(`unsupported apollo-persisted-query-manifest version ${String(version)}`);
    if (!Array.isArray(operations)) throw fail('operations must be an array');
    entries = operations.map((operation: unknown) => (isRecord(operation) ? [String(operation.id), operation.body] : ['', undefined]));
  } else if (isRecord(manifest) && Object.values(manifest).every((value) => typeof value === 'string')) {
    entries = Object.entries(manifest);
  } else {
    throw fail('neither an apollo-persisted-query-manifest nor a persistedDocuments map ({ "<hash>": "<document>" })');
  }
  const operations: Record<string, string> = {};
  for (const [key, document] of entries) {
    if (typeof document !== 'string') throw fail(`operation ${key || '(no id)'} has no document text`);
    const id = key.replace(/^sha256:/, '');
    // Ids are checked against their documents, so a manifest cannot smuggle in another operation.
    const matches = id.length === 40 ? sha1Hex(document) === id : sha256Hex(document) === id;
    if (!matches) throw fail(`${key} is not the SHA-256 (or SHA-1) of its document`);
    operations[id] = document;
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
  const trustedDocuments = new Set(Object.values(manifest.operations));
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
      const trusted = trustedDocuments.has(query);
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
