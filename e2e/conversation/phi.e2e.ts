import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { Harness, type Account } from './harness.js';

// PHI findings and redacted text on messages (conversation) and dictations and notes (voice),
// through the real router: PGlite and in-process pub/sub, or PostgreSQL and Redis when CI sets them.

const logLines: string[] = [];
const capture = (service: string) => createLogger({ service, level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });

let h: Harness;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  const supergraph = await startSupergraph({
    subgraphs: ['identity', 'conversation', 'voice'],
    env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' }, conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '1' } },
    loggers: { conversation: capture('conversation'), voice: capture('voice'), router: capture('router') },
  });
  h = new Harness(supergraph);
  await h.signUp('root');
  alice = await h.signUp('alice');
  bob = await h.signUp('bob');
  // Three PGlite instances on a busy 2-core machine (as voice.e2e allows).
}, 120_000);

afterAll(async () => {
  await h?.supergraph.stop();
});

const FINDINGS = 'phiFindings { kind start end confidence }';
type Finding = { kind: string; start: number; end: number; confidence: number };
const spans = (text: string, findings: Finding[]) => findings.map((f) => [f.kind, text.slice(f.start, f.end)]);

describe('PHI in messages', () => {
  it('finds the identifiers in a message and gives its redacted content; others cannot read either', async () => {
    const conversationId = await h.createConversation(alice, 'Clinic');
    const content = 'Mrs. Maria Gonzalez (MRN 00482913, DOB 03/14/1951) called from 617-555-0142 about her warfarin dose.';
    const sent = await h.send(alice, conversationId, content, false);
    const query = `query M($id: ID!) { conversation(id: $id) { messages { edges { node { id role content ${FINDINGS} redactedContent } } } } }`;
    const { conversation } = await h.data<{ conversation: { messages: { edges: Array<{ node: { id: string; role: string; content: string; phiFindings: Finding[]; redactedContent: string } }> } } }>(
      query,
      { id: conversationId },
      alice.accessToken,
    );
    const message = conversation.messages.edges.map((e) => e.node).find((m) => m.id === sent.userMessage.id)!;
    expect(spans(message.content, message.phiFindings)).toEqual([
      ['NAME', 'Maria Gonzalez'],
      ['MRN', '00482913'],
      ['DATE_OF_BIRTH', '03/14/1951'],
      ['PHONE', '617-555-0142'],
    ]);
    for (const finding of message.phiFindings) expect(finding.confidence).toBeGreaterThan(0.5);
    expect(message.redactedContent).toBe('Mrs. [NAME] (MRN [MRN], DOB [DOB]) called from [PHONE] about her warfarin dose.');

    const asBob = await h.gql(query, { id: conversationId }, bob.accessToken);
    expect(asBob.body.data?.conversation ?? null).toBeNull();
    expect(asBob.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('PHI in dictation', () => {
  it('finds identifiers in a dictation as it grows and in its note, with redacted transcript and note text', async () => {
    const { startDictation } = await h.data<{ startDictation: { id: string } }>('mutation { startDictation(kind: SOAP) { id } }', {}, alice.accessToken);
    const chunks = [
      'Patient John Carter is a 93-year-old man with chest pain since this morning.',
      'Pacemaker serial number PJN418823. Daughter can be reached at (617) 555-0199.',
      'Plan: aspirin and follow up with cardiology.',
    ];
    let last: { transcript: string; phiFindings: Finding[]; redactedTranscript: string } | undefined;
    for (const text of chunks) {
      const { appendDictation } = await h.data<{ appendDictation: NonNullable<typeof last> }>(
        `mutation A($id: ID!, $text: String) { appendDictation(sessionId: $id, text: $text) { transcript ${FINDINGS} redactedTranscript } }`,
        { id: startDictation.id, text },
        alice.accessToken,
      );
      last = appendDictation;
    }
    expect(spans(last!.transcript, last!.phiFindings)).toEqual([
      ['NAME', 'John Carter'],
      ['AGE_OVER_89', '93-year-old'],
      ['DEVICE_ID', 'PJN418823'],
      ['PHONE', '(617) 555-0199'],
    ]);
    expect(last!.redactedTranscript).toContain('Patient [NAME] is a [AGE 90+] man');
    expect(last!.redactedTranscript).toContain('serial number [DEVICE_ID]. Daughter can be reached at [PHONE].');

    const { finishDictation: note } = await h.data<{ finishDictation: { id: string; text: string; phiFindings: Finding[]; redactedText: string; redactedTranscript: string } }>(
      `mutation F($id: ID!) { finishDictation(sessionId: $id) { id text ${FINDINGS} redactedText redactedTranscript } }`,
      { id: startDictation.id },
      alice.accessToken,
    );
    expect(spans(note.text, note.phiFindings).map(([kind]) => kind).sort()).toEqual(['AGE_OVER_89', 'DEVICE_ID', 'NAME', 'PHONE']);
    for (const secret of ['John Carter', 'PJN418823', '555-0199', '93-year-old']) {
      expect(note.text).toContain(secret);
      expect(note.redactedText).not.toContain(secret);
      expect(note.redactedTranscript).not.toContain(secret);
    }
    expect(note.redactedText).toContain('[NAME]');

    const asBob = await h.gql<{ clinicalNote: null }>('query N($id: ID!) { clinicalNote(id: $id) { redactedText } }', { id: note.id }, bob.accessToken);
    expect(asBob.body.data?.clinicalNote).toBeNull();
  });

  it('never writes the identifiers or the text to the logs', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of ['Gonzalez', '00482913', 'John Carter', 'PJN418823', 'warfarin']) {
      expect(logLines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
