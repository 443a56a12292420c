import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as documents from './generated/graphql.js';
import { buildTrustedOperations, sha256Hex, type PersistedQueryManifest } from './trusted-operations.js';

const committed = JSON.parse(readFileSync(new URL('../../../schema/trusted-operations.json', import.meta.url), 'utf8')) as PersistedQueryManifest;
const bodyOf = (name: string) => committed.operations.find((operation) => operation.name === name)?.body;

describe('the trusted-operations manifest', () => {
  it("is Apollo's persisted query manifest of exactly the text each generated operation document sends, under its SHA-256", () => {
    expect(committed).toEqual(buildTrustedOperations(documents));
    expect(committed).toMatchObject({ format: 'apollo-persisted-query-manifest', version: 1 });
    expect(bodyOf('Login')).toBe(documents.LoginDocument.toString());
    for (const { id, body } of committed.operations) expect(sha256Hex(body)).toBe(id);
    expect(committed.operations.find((operation) => operation.name === 'Login')).toEqual({ id: sha256Hex(documents.LoginDocument.toString()), name: 'Login', type: 'mutation', body: documents.LoginDocument.toString() });
  });

  it('has every operation of schema/operations, typed, and no fragment on its own', () => {
    const names = committed.operations.map((operation) => operation.name);
    expect(names).toEqual(expect.arrayContaining(['Login', 'Register', 'RefreshSession', 'Users', 'UpdateUser', 'AuditLog', 'VerifyAuditLog']));
    expect(names).toEqual(expect.arrayContaining(['SendMessage', 'MessageStream', 'CancelGeneration', 'Regenerate', 'MessageSpeech']));
    expect(names).toEqual(expect.arrayContaining(['IngestDocument', 'DocumentStatus', 'Search', 'FeatureFlags', 'UpdateFlag', 'FlagChanges']));
    for (const { type, body } of committed.operations) expect(body).toMatch(new RegExp(`^\\s*${type} `));
    expect(committed.operations.find((operation) => operation.name === 'MessageStream')?.type).toBe('subscription');
    // A spread fragment travels inside the operation that uses it.
    expect(bodyOf('Login')).toContain('fragment Session on AuthPayload');
  });
});
