import { cpus } from 'node:os';
import { createEmbeddedSpeech, sniffAudio } from '@voiceassist/ai';
import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { createMemoryRateLimiter } from '@voiceassist/rate-limit';
import { createSpeechCache } from './speech-cache.js';
import { createVoiceSpeech, type VoiceSpeech } from './speech.js';

// Latency of the embedded engines for a ~10-second utterance, as the voice subgraph runs them
// (VoiceSpeech: limits, cache, engine processes), without HTTP. Uncached synthesis runs espeak-ng;
// cached synthesis is the in-memory LRU; transcription is sox (resample) + pocketsphinx on the
// synthesized WAV. Runs are sequential: one engine process at a time.
const UTTERANCE = 'The patient is a fifty four year old man with chest pain on exertion. Blood pressure is one fifty over ninety. Start aspirin today.';

const PREFERRED = { voice: null, rate: 1 };

function speechService(cacheBytes: number): VoiceSpeech {
  return createVoiceSpeech({
    providers: { engine: 'embedded', ...createEmbeddedSpeech({ concurrency: 1 }) },
    cache: createSpeechCache({ maxBytes: cacheBytes }),
    limiter: createMemoryRateLimiter(),
    limits: { maxAudioBytes: 26_214_400, maxAudioSeconds: 600, maxTextChars: 4_000, requestsPerMinute: 1_000_000 },
  });
}

async function time(runs: number, task: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await task(i);
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

const row = (name: string, samples: number[], audioMs: number) => [
  name,
  samples.length,
  formatNumber(percentile(samples, 50)),
  formatNumber(percentile(samples, 95)),
  formatNumber(percentile(samples, 50) / audioMs, 3),
];

const bench: Benchmark = async ({ quick }) => {
  const uncached = speechService(0);
  const cached = speechService(64 * 1024 * 1024);
  const request = (service: VoiceSpeech, format: 'wav' | 'mp3' = 'wav') =>
    service.synthesize({ userId: 'bench', text: UTTERANCE, format, preferred: PREFERRED, textField: 'text' });

  // Warm-up: engine binaries and the recognizer model into the page cache.
  const sample = await request(uncached);
  const audioMs = sample.durationMs;
  const wav = { base64: sample.base64, mimeType: 'audio/wav' };
  await uncached.transcribe('bench', wav, 'audio');
  await request(cached);

  const runs = quick ? 3 : 10;
  const synthUncached = await time(runs, () => request(uncached));
  const synthMp3 = await time(runs, () => request(uncached, 'mp3'));
  const synthCached = await time(quick ? 50 : 500, () => request(cached));
  let words = 0;
  const transcribeWav = await time(runs, async () => {
    words = (await uncached.transcribe('bench', wav, 'audio')).text.split(/\s+/).length;
  });
  const mp3 = await request(uncached, 'mp3');
  const transcribeMp3 = await time(runs, () => uncached.transcribe('bench', { base64: mp3.base64, mimeType: 'audio/mpeg' }, 'audio'));
  if (sniffAudio(Buffer.from(mp3.base64, 'base64'))?.container !== 'mp3') throw new Error('MP3 synthesis produced no MP3');

  return {
    title: 'voice: embedded speech latency (espeak-ng, pocketsphinx, sox)',
    notes: [
      `Utterance: ${UTTERANCE.split(/\s+/).length} words, ${formatNumber(audioMs / 1000)} s of audio at rate 1 (voice en-us+klatt); transcription heard ${words} words.`,
      `Sequential runs in one process (engine concurrency 1), ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), no HTTP.`,
      'Real-time factor = p50 latency / audio duration (below 1 is faster than real time).',
    ],
    tables: [
      {
        caption: 'Latency per request (ms)',
        columns: ['operation', 'runs', 'p50', 'p95', 'real-time factor'],
        rows: [
          row('synthesize WAV, uncached (espeak-ng)', synthUncached, audioMs),
          row('synthesize MP3, uncached (espeak-ng + sox/lame)', synthMp3, audioMs),
          row('synthesize WAV, cached (in-memory LRU)', synthCached, audioMs),
          row('transcribe WAV (sox + pocketsphinx)', transcribeWav, audioMs),
          row('transcribe MP3 (sox/mad + pocketsphinx)', transcribeMp3, audioMs),
        ],
      },
    ],
  };
};

export default bench;
