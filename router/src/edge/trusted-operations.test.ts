import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTrustedOperations, parseTrustedOperations, readTrustedOperations, sha256Hex } from './trusted-operations.js';

const ME = 'query Me { me { id } }';
const PING = 'query Ping { publicPing }';
const sha1Hex = (text: string) => createHash('sha1').update(text).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'trusted-operations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trusted operations manifests', () => {
  it("reads Apollo's persisted query manifest from TRUSTED_OPERATIONS_PATH, and the router serves its operations by id and by text", () => {
    const path = join(dir, 'apollo.json');
    writeFileSync(path, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(ME), name: 'Me', type: 'query', body: ME }] }));
    const trusted = createTrustedOperations('safelist', readTrustedOperations(path));
    expect(trusted.size).toBe(1);
    expect(trusted.operationNames).toEqual(['Me']);
    expect(trusted.verdict({ documentId: `sha256:${sha256Hex(ME)}` })).toEqual({ allowed: true, query: ME, untrusted: false });
    expect(trusted.verdict({ query: ME })).toEqual({ allowed: true, query: ME, untrusted: false });
    const refused = trusted.verdict({ query: PING });
    expect(refused.allowed === false && refused.error.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'UNTRUSTED_OPERATION' });
    const unknownApq = trusted.verdict({ documentId: sha256Hex(PING), persistedQuery: true });
    expect(unknownApq.allowed === false && unknownApq.error.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it("accepts GraphQL Code Generator's persistedDocuments map, with sha256: ids or SHA-1 ones", () => {
    const trusted = createTrustedOperations('safelist', parseTrustedOperations({ [`sha256:${sha256Hex(ME)}`]: ME, [sha1Hex(PING)]: PING }));
    expect(trusted.verdict({ documentId: `sha256:${sha256Hex(ME)}` })).toEqual({ allowed: true, query: ME, untrusted: false });
    expect(trusted.verdict({ documentId: sha1Hex(PING) })).toEqual({ allowed: true, query: PING, untrusted: false });
    expect(trusted.verdict({ query: PING })).toEqual({ allowed: true, query: PING, untrusted: false });
    expect(trusted.operationNames.sort()).toEqual(['Me', 'Ping']);
  });

  it('refuses a manifest whose ids do not match their documents, and shapes it does not know', () => {
    const smuggled = { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(ME), name: 'Me', type: 'query', body: 'mutation { deleteEverything }' }] };
    expect(() => parseTrustedOperations(smuggled)).toThrow(/not the SHA-256/);
    expect(() => parseTrustedOperations({ [sha256Hex(ME)]: PING })).toThrow(/not the SHA-256/);
    expect(() => parseTrustedOperations({ ...smuggled, version: 2 })).toThrow(/version 2/);
    expect(() => parseTrustedOperations({ operations: { [sha256Hex(ME)]: ME } })).toThrow(/neither/);
    expect(readTrustedOperations(join(dir, 'missing.json'))).toEqual({ operations: {} });
  });
});
