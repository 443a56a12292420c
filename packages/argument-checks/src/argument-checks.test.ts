import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkArgumentValues } from './index.js';

function check(query: string, variables?: Record<string, unknown>, maxDepth?: number) {
  const document = parse(query);
  return checkArgumentValues(document, getOperationAST(document) ?? undefined, variables, maxDepth)?.extensions;
}

describe('checkArgumentValues', () => {
  it('names the argument path of unstorable text, however the value arrives', () => {
    const settings = 'mutation S($s: JSON!) { updateSettings(settings: $s) { id } }';
    expect(check(settings, { s: { theme: 'a\ud800' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'settings.theme' });
    expect(check(settings, { s: { list: [1, { x: '\u0000' }] } })).toMatchObject({ field: 'settings.list[1].x' });
    expect(check(settings, { s: { ['bad\udc00key']: 1 } })).toMatchObject({ field: 'settings' });
    // A variable inside an input literal, and through a fragment.
    expect(check('query Q($t: String) { a(input: { rules: [{ text: $t }] }) { id } }', { t: '\ud83d' })).toMatchObject({ field: 'input.rules[0].text' });
    expect(check('query Q($q: String!) { ...F } fragment F on Query { search(query: $q) { id } }', { q: 'x\u0000' })).toMatchObject({ field: 'query' });
    expect(check('{ search(query: "\\u0000") { id } }')).toMatchObject({ field: 'query' });
    // Declared but given to no field argument (a directive, say): named by the variable.
    expect(check('query Q($x: String) { me @skip(if: false) { id } }', { x: '\u0000' })).toMatchObject({ field: '$x' });
  });

  it('lets well-formed text through, surrogate pairs and every other code point included', () => {
    const text = 'emoji 🙂 👩‍⚕️, RTL \u202e, zero width \u200b, BOM \ufeff, \uffff, combining e\u0301';
    expect(check('query Q($q: String!, $j: JSON) { search(query: $q, extra: $j) { id } }', { q: text, j: { [text]: [text, 1, null, true] } })).toBeUndefined();
    // Variables the operation does not declare never reach a resolver.
    expect(check('{ me { id } }', { undeclared: '\u0000' })).toBeUndefined();
  });

  it('refuses nesting past the limit without recursing, whatever the depth', () => {
    const query = 'query F($a: JSON) { flags(attributes: $a) { key } }';
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = i % 2 ? { a: deep } : [deep];
    expect(check(query, { a: deep })).toEqual({ code: 'BAD_USER_INPUT', field: 'attributes', limit: 'variablesDepth', max: 32, http: { status: 400 } });
    let atLimit: unknown = 'leaf';
    for (let i = 0; i < 32; i++) atLimit = { a: atLimit };
    expect(check(query, { a: atLimit })).toBeUndefined();
    expect(check(query, { a: { b: atLimit } })).toMatchObject({ limit: 'variablesDepth' });
    expect(check(query, { a: [[[1]]] }, 2)).toMatchObject({ limit: 'variablesDepth', max: 2 });
  });

  it('scans a 36 MB upload in well under a second', () => {
    const base64 = 'QUJD'.repeat(9_000_000);
    const started = performance.now();
    expect(check('mutation T($audio: AudioInput!) { transcribe(audio: $audio) { text } }', { audio: { base64, mimeType: 'audio/wav' } })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
