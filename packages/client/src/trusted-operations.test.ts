import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as documents from './generated/graphql.js';
import { buildTrustedOperations, sha256Hex, type TrustedOperationsManifest } from './trusted-operations.js';

const committed = JSON.parse(readFileSync(new URL('../../../schema/trusted-operations.json', import.meta.url), 'utf8')) as TrustedOperationsManifest;

describe('the trusted-operations manifest', () => {
  it('holds exactly the text each generated operation document sends, under its SHA-256', () => {
    expect(committed).toEqual(buildTrustedOperations(documents));
    expect(documents.LoginDocument.toString()).toBe(committed.operations[sha256Hex(documents.LoginDocument.toString())]);
    for (const [hash, text] of Object.entries(committed.operations)) expect(sha256Hex(text)).toBe(hash);
  });

  it('has every operation of schema/operations and no fragment on its own', () => {
    const names = Object.values(committed.operations).map((text) => /^\s*(query|mutation|subscription) (\w+)/.exec(text)?.[2]);
    expect(names).not.toContain(undefined);
    expect(names).toEqual(expect.arrayContaining(['Login', 'Register', 'RefreshSession', 'Users', 'UpdateUser', 'AuditLog', 'VerifyAuditLog']));
    expect(names).toEqual(expect.arrayContaining(['SendMessage', 'MessageStream', 'CancelGeneration', 'Regenerate', 'MessageSpeech']));
    expect(names).toEqual(expect.arrayContaining(['IngestDocument', 'DocumentStatus', 'Search', 'FeatureFlags', 'UpdateFlag', 'FlagChanges']));
    // A spread fragment travels inside the operation that uses it.
    expect(committed.operations[sha256Hex(documents.LoginDocument.toString())]).toContain('fragment Session on AuthPayload');
  });
});
