import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_KNOWLEDGE_ANSWER } from '@voiceassist/ai';
import { subgraphServices } from '@voiceassist/services';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { Harness, textOf, wholeReply, type Account } from './harness.js';

// Replies grounded in the knowledge subgraph: conversation searches it as the caller, and the
// router resolves the stored citations there. Runs once the knowledge subgraph is part of the
// supergraph (@voiceassist/services).
const hasKnowledge = subgraphServices.some((s) => s.name === 'knowledge');
// With the flags subgraph, the `conversation.rag` flag can switch retrieval off.
const hasFlags = subgraphServices.some((s) => s.name === 'flags');

const GUIDELINE = [
  'Kawasaki disease is an acute vasculitis of childhood.',
  'Kawasaki disease is treated with intravenous immunoglobulin and high-dose aspirin in the acute phase.',
  'Echocardiography looks for coronary artery aneurysms at diagnosis and again after six weeks.',
].join(' ');

describe.runIf(hasKnowledge)('citations across subgraphs', () => {
  let h: Harness;
  let admin: Account;
  let user: Account;
  let documentId: string;

  /** Ingests a document as the admin and waits until it is searchable. */
  async function ingest(title: string, text: string): Promise<string> {
    const { ingestDocument } = await h.data<{ ingestDocument: { id: string } }>(
      `mutation($input: IngestDocumentInput!) { ingestDocument(input: $input) { id } }`,
      { input: { title, mimeType: 'text/plain', text } },
      admin.accessToken,
    );
    // Indexing runs in the background (expect.poll is for tests, not hooks).
    const deadline = Date.now() + 90_000;
    let status = 'PENDING';
    while (status !== 'READY' && Date.now() < deadline) {
      await sleep(200);
      ({ status } = (await h.data<{ document: { status: string } }>(`query($id: ID!) { document(id: $id) { status } }`, { id: ingestDocument.id }, admin.accessToken)).document);
    }
    expect(status).toBe('READY');
    return ingestDocument.id;
  }

  beforeAll(async () => {
    h = new Harness(
      await startSupergraph({
        subgraphs: ['identity', 'knowledge', ...(hasFlags ? ['flags'] : []), 'conversation'],
        env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' }, conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '1' } },
      }),
    );
    admin = await h.signUp('librarian');
    user = await h.signUp('clinician');
    documentId = await ingest('Kawasaki disease guideline', GUIDELINE);
    // Three subgraphs and an indexing run: generous on a loaded 2-core machine.
  }, 180_000);

  afterAll(async () => {
    await h?.supergraph.stop();
  });

  async function ask(account: Account, question: string, useKnowledge?: boolean) {
    const conversationId = await h.createConversation(account);
    const sent = await h.send(account, conversationId, question, useKnowledge);
    const client = h.client(account);
    const events = await wholeReply(client, sent.assistantMessage.id);
    await client.dispose();
    return { conversationId, events, last: events.at(-1)! };
  }

  it('answers from the knowledge base and stores citations that resolve to the source document', async () => {
    const { conversationId, events, last } = await ask(user, 'How is Kawasaki disease treated?');
    expect(last.message!.status).toBe('COMPLETE');
    expect(last.message!.content).toContain('intravenous immunoglobulin');
    expect(last.message!.content).toContain('[1]');
    // Whole sentences of the passage, without the search's highlighting.
    expect(last.message!.content).toContain('Kawasaki disease is treated with intravenous immunoglobulin and high-dose aspirin in the acute phase [1].');
    expect(last.message!.content).not.toContain('**');
    expect(textOf(events)).toBe(last.message!.content);
    expect(last.message!.citations.length).toBeGreaterThan(0);

    // Through the router: the citation's snippet and document come from the knowledge subgraph.
    const { conversation } = await h.data<{
      conversation: { messages: { edges: Array<{ node: { role: string; citations: Array<{ id: string; snippet: string; document: { id: string; title: string } }> } }> } };
    }>(
      `query($id: ID!) { conversation(id: $id) { messages { edges { node { role citations { id snippet document { id title } } } } } } }`,
      { id: conversationId },
      user.accessToken,
    );
    const citations = conversation.messages.edges.find((e) => e.node.role === 'ASSISTANT')!.node.citations;
    expect(citations.map((c) => c.id)).toEqual(last.message!.citations.map((c) => c.id));
    expect(citations[0]!.document).toEqual({ id: documentId, title: 'Kawasaki disease guideline' });
    expect(citations[0]!.snippet).toContain('Kawasaki');
  });

  it('answers a two-hop question from both documents, each [n] verified against its passage', async () => {
    const selecting = await ingest('Stroke unit: seizure management', 'For seizures after an acute stroke, the stroke unit adopted the Calder regimen as its standard anticonvulsant plan.');
    const describing = await ingest('Calder regimen', 'Calder regimen: levetiracetam 20 mg/kg intravenously as a loading dose, then 500 mg twice daily by mouth.');
    const { conversationId, last } = await ask(user, 'What is the loading dose in the regimen that the stroke unit adopted for seizures?');
    expect(last.message!.status).toBe('COMPLETE');
    // The name the first document gives, and the dose only the second one states.
    expect(last.message!.content).toContain('Calder regimen');
    expect(last.message!.content).toContain('20 mg/kg');
    const { conversation } = await h.data<{
      conversation: { messages: { edges: Array<{ node: { role: string; content: string; citations: Array<{ id: string; document: { id: string } }>; citationChecks: Array<{ marker: number; verified: boolean; citation: { id: string; document: { id: string } } }> } }> } };
    }>(
      `query($id: ID!) { conversation(id: $id) { messages { edges { node { role content citations { id document { id } } citationChecks { marker verified citation { id document { id } } } } } } } }`,
      { id: conversationId },
      user.accessToken,
    );
    const reply = conversation.messages.edges.find((e) => e.node.role === 'ASSISTANT')!.node;
    const cited = reply.citationChecks.map((c) => c.citation.document.id);
    expect(cited).toContain(selecting);
    expect(cited).toContain(describing);
    expect(reply.citationChecks.every((c) => c.verified)).toBe(true);
    // [n] is the n-th citation.
    for (const check of reply.citationChecks) expect(reply.citations[check.marker - 1]!.id).toBe(check.citation.id);
    expect([...reply.content.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).sort()).toEqual(reply.citationChecks.map((c) => c.marker).sort());
  });

  it('leaves the knowledge base out when asked to', async () => {
    const { last } = await ask(user, 'How is Kawasaki disease treated?', false);
    expect(last.message).toMatchObject({ status: 'COMPLETE', content: NO_KNOWLEDGE_ANSWER, citations: [] });
  });

  it.runIf(hasFlags)('leaves the knowledge base out while the conversation.rag flag is off', async () => {
    await h.data(
      `mutation($input: CreateFlagInput!) { createFlag(input: $input) { key } }`,
      { input: { key: 'conversation.rag', description: 'Replies search the knowledge base', enabled: false, visibility: 'INTERNAL' } },
      admin.accessToken,
    );
    // The conversation subgraph follows flag changes live.
    await expect.poll(async () => (await ask(user, 'How is Kawasaki disease treated?')).last.message!.citations.length, { timeout: 20_000, interval: 300 }).toBe(0);
    await h.data(`mutation { updateFlag(key: "conversation.rag", input: { enabled: true }) { key } }`, {}, admin.accessToken);
    await expect.poll(async () => (await ask(user, 'How is Kawasaki disease treated?')).last.message!.citations.length, { timeout: 20_000, interval: 300 }).toBeGreaterThan(0);
  });

  it('still replies, without citations, when the knowledge subgraph is down', async () => {
    await h.supergraph.subgraphs.knowledge!.service.server.close();
    const { last } = await ask(user, 'How is Kawasaki disease treated?');
    expect(last.message).toMatchObject({ status: 'COMPLETE', content: NO_KNOWLEDGE_ANSWER, citations: [] });
  });
});
