import { cpus } from 'node:os';
import { createEmbeddedSpeech, type PocketsphinxVocabulary } from '@voiceassist/ai';
import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { createMemoryRateLimiter } from '@voiceassist/rate-limit';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { graphqlWsClient, subscribe } from '@voiceassist/testkit/graphql-ws-client';
import { createSpeechCache } from '@voiceassist/voice/speech-cache';
import { createVoiceSpeech } from '@voiceassist/voice/speech';
import { signUp } from './accounts.js';
import { builtInLexicon, createNormalizer } from '@voiceassist/voice/vocabulary/normalize';
import { recognizerVocabulary } from '@voiceassist/voice/vocabulary/recognizer';

// Voice mode, embedded engines:
// 1. Time to first audio: from `sendMessage` returning to the first `speechStream` chunk at a
//    client, through the router (identity, conversation, voice in one process on loopback; the
//    embedded chat provider's default pacing; speech cache off so every sentence is synthesized).
// 2. Word error rate of pocketsphinx on our own clinical sentences spoken by espeak-ng, against
//    the sentence as a clinician writes it, with and without the medical vocabulary.

/** [what is said, how it is written]. Our own sentences. */
const SENTENCES: Array<[string, string]> = [
  ['blood pressure target is below one hundred thirty over eighty', 'BP target is below 130/80'],
  ['start metformin five hundred milligrams twice a day', 'start metformin 500 mg BID'],
  ['give aspirin eighty one milligrams by mouth once daily', 'give aspirin 81 mg PO QD'],
  ['heart rate is eighty eight beats per minute', 'HR is 88 bpm'],
  ['continue lisinopril ten milligrams daily', 'continue lisinopril 10 mg daily'],
  ['temperature thirty eight point two degrees celsius', 'temperature 38.2 °C'],
  ['check the complete blood count and the i n r', 'check the CBC and the INR'],
  ['oxygen saturation is ninety four percent on room air', 'SpO2 is 94 % on room air'],
  ['morphine two milligrams i v as needed for pain', 'morphine 2 mg IV PRN for pain'],
  ['the patient denies shortness of breath', 'the patient denies shortness of breath'],
  ['the patient takes atorvastatin forty milligrams at bedtime', 'the patient takes atorvastatin 40 mg QHS'],
  ['start apixaban five milligrams twice a day', 'start apixaban 5 mg BID'],
];

const words = (text: string) =>
  text
    .toLowerCase()
    .replace(/[,;:!?]|\.(?!\d)/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

/** Word-level edit distance. */
function editDistance(reference: string[], hypothesis: string[]): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const current = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[hypothesis.length]!;
}

const emptyTotals = () => ({ referenceWords: 0, spokenWords: 0, rawVsSpoken: 0, rawVsWritten: 0, normalizedVsWritten: 0, transcribeMs: [] as number[], heard: [] as string[] });

/**
 * Word errors of the stock recognizer and of the one biased by the lexicon, on the same audio,
 * and their transcription times; which goes first alternates by sentence, so neither is
 * favoured by what else the machine is doing.
 */
async function wordErrorRates(quick: boolean) {
  const speechWith = (pocketsphinxVocabulary?: PocketsphinxVocabulary) =>
    createVoiceSpeech({
      providers: { engine: 'embedded', ...createEmbeddedSpeech({ concurrency: 1, ...(pocketsphinxVocabulary ? { pocketsphinxVocabulary } : {}) }) },
      cache: createSpeechCache({ maxBytes: 0 }),
      limiter: createMemoryRateLimiter(),
      limits: { maxAudioBytes: 26_214_400, maxAudioSeconds: 600, maxTextChars: 4_000, requestsPerMinute: 1_000_000 },
    });
  const recognizers = [
    { speech: speechWith(), totals: emptyTotals() },
    { speech: speechWith(recognizerVocabulary(builtInLexicon())), totals: emptyTotals() },
  ];
  const { normalize, prompt } = createNormalizer(builtInLexicon());
  const sentences = quick ? SENTENCES.slice(0, 4) : SENTENCES;
  for (const [index, [spoken, written]] of sentences.entries()) {
    const audio = await recognizers[0]!.speech.synthesize({ userId: 'bench', text: spoken, voice: 'en-us+klatt', rate: 1, format: 'wav', preferred: { voice: null, rate: 1 }, textField: 'text' });
    for (const { speech, totals } of index % 2 ? [...recognizers].reverse() : recognizers) {
      const started = performance.now();
      const heard = (await speech.transcribe('bench', { base64: audio.base64, mimeType: 'audio/wav' }, 'audio', prompt)).text;
      totals.transcribeMs.push(performance.now() - started);
      totals.heard.push(heard);
      const reference = words(written);
      totals.referenceWords += reference.length;
      totals.spokenWords += words(spoken).length;
      totals.rawVsSpoken += editDistance(words(spoken), words(heard));
      totals.rawVsWritten += editDistance(reference, words(heard));
      totals.normalizedVsWritten += editDistance(reference, words(normalize(heard)));
    }
  }
  for (const { totals } of recognizers) totals.transcribeMs.sort((x, y) => x - y);
  return { sentences, stock: recognizers[0]!.totals, biased: recognizers[1]!.totals };
}

async function timeToFirstAudio(runs: number) {
  const supergraph = await startSupergraph({
    subgraphs: ['identity', 'conversation', 'voice'],
    env: { voice: { SPEECH_CACHE_MAX_BYTES: '0', SPEECH_REQUESTS_PER_MINUTE: '100000' }, conversation: { RATE_LIMIT_PER_MINUTE: '100000' } },
  });
  try {
    await signUp(supergraph.request, 'founder');
    const user = await signUp(supergraph.request, 'clinician');
    const { client } = graphqlWsClient(supergraph.wsUrl, user.token);
    const firstAudio: number[] = [];
    const firstToken: number[] = [];
    const firstChunkChars: number[] = [];
    for (let i = 0; i < runs; i++) {
      const conversation = await supergraph.request<{ createConversation: { id: string } }>('mutation { createConversation { id } }', {}, { token: user.token });
      const conversationId = conversation.body.data!.createConversation.id;
      const sent = await supergraph.request<{ sendMessage: { assistantMessage: { id: string } } }>(
        'mutation S($id: ID!, $content: String!) { sendMessage(conversationId: $id, content: $content, useKnowledge: false) { assistantMessage { id } } }',
        { id: conversationId, content: `What is the usual dose of aspirin, question ${i}?` },
        { token: user.token },
      );
      const sentAt = performance.now();
      const messageId = sent.body.data!.sendMessage.assistantMessage.id;
      let tokenAt = 0;
      const tokens = subscribe<{ messageStream: { index: number } }>(client, 'subscription T($id: ID!) { messageStream(messageId: $id) { index } }', { id: messageId }, (data) => {
        tokenAt ||= performance.now();
        return data.length > 0;
      });
      const audio = subscribe<{ speechStream: { text: string; audio: { durationMs: number } | null } }>(
        client,
        'subscription A($id: ID!) { speechStream(messageId: $id) { text audio { durationMs } } }',
        { id: messageId },
        (data) => data.length > 0,
      );
      await audio.ended;
      firstAudio.push(performance.now() - sentAt);
      await tokens.ended;
      firstToken.push(tokenAt - sentAt);
      firstChunkChars.push(audio.data[0]?.speechStream.text.length ?? 0);
      // Let the reply finish before the next run, so runs do not overlap.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await client.dispose();
    return { firstAudio: firstAudio.sort((a, b) => a - b), firstToken: firstToken.sort((a, b) => a - b), firstChunkChars: firstChunkChars[0] ?? 0 };
  } finally {
    await supergraph.stop();
  }
}

const bench: Benchmark = async ({ quick }) => {
  const runs = quick ? 3 : 10;
  const ttfa = await timeToFirstAudio(runs);
  // The stock recognizer and the lexicon-biased one, in the same process on the same audio.
  const { sentences, stock: wer, biased } = await wordErrorRates(quick);
  const rate = (errors: number, total: number) => formatNumber((errors / total) * 100, 1);
  return {
    title: 'voice mode: time to first audio and word error rate (embedded engines)',
    notes: [
      `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); one process: router, identity, conversation, voice, client.`,
      `Time to first audio: ${runs} spoken-reply runs, sequential, speech cache off; the first chunk spoke ${ttfa.firstChunkChars} characters.`,
      `Word error rate: ${sentences.length} clinical sentences (${wer.referenceWords} written words), espeak-ng en-us+klatt at rate 1, pocketsphinx en-us.`,
    ],
    tables: [
      {
        caption: 'Time from sendMessage returning to the client (ms)',
        columns: ['first', 'p50', 'p95', 'max'],
        rows: [
          ['reply token (messageStream)', formatNumber(percentile(ttfa.firstToken, 50)), formatNumber(percentile(ttfa.firstToken, 95)), formatNumber(ttfa.firstToken.at(-1) ?? 0)],
          ['audio chunk (speechStream)', formatNumber(percentile(ttfa.firstAudio, 50)), formatNumber(percentile(ttfa.firstAudio, 95)), formatNumber(ttfa.firstAudio.at(-1) ?? 0)],
        ],
      },
      {
        caption: 'Word error rate (%)',
        columns: ['transcript', 'against', 'WER'],
        rows: [
          ['as heard (no lexicon)', 'the words spoken', rate(wer.rawVsSpoken, wer.spokenWords)],
          ['as heard (no lexicon)', 'the sentence as written', rate(wer.rawVsWritten, wer.referenceWords)],
          ['normalized by the lexicon', 'the sentence as written', rate(wer.normalizedVsWritten, wer.referenceWords)],
          ['as heard, recognizer biased by the lexicon', 'the words spoken', rate(biased.rawVsSpoken, biased.spokenWords)],
          ['as heard, recognizer biased by the lexicon', 'the sentence as written', rate(biased.rawVsWritten, biased.referenceWords)],
          ['biased and normalized by the lexicon', 'the sentence as written', rate(biased.normalizedVsWritten, biased.referenceWords)],
        ],
      },
      {
        caption: 'pocketsphinx transcription time per sentence (ms)',
        columns: ['recognizer', 'p50', 'max'],
        rows: [
          ['stock', formatNumber(percentile(wer.transcribeMs, 50)), formatNumber(wer.transcribeMs.at(-1) ?? 0)],
          ['biased by the lexicon', formatNumber(percentile(biased.transcribeMs, 50)), formatNumber(biased.transcribeMs.at(-1) ?? 0)],
        ],
      },
      {
        caption: 'What each recognizer heard',
        columns: ['said', 'stock', 'biased by the lexicon'],
        rows: sentences.map(([spoken], i) => [spoken, wer.heard[i] ?? '', biased.heard[i] ?? '']),
      },
    ],
  };
};

export default bench;
