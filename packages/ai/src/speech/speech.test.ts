import { describe, expect, it } from 'vitest';
import { containerDurationMs, mp3DurationMs, oggDurationMs, parseWav, pcmToWav, repairWavSizes, sniffAudio } from './audio.js';
import { createEmbeddedSpeech, parseEspeakVoiceList, parsePocketsphinxTimes } from './embedded.js';
import { SpeechInputError } from './types.js';

// The embedded engines for real: espeak-ng, pocketsphinx, sox and ffmpeg from Debian packages
// (.ci/run installs them). klatt voices add a little random noise, so recognition is checked by
// words recognized rather than by exact equality.
const SENTENCE = 'hello world this is a test';
const words = (text: string) => new Set(text.toLowerCase().split(/\s+/).filter(Boolean));
const recognized = (text: string) => [...words(SENTENCE)].filter((w) => words(text).has(w)).length;

const speech = createEmbeddedSpeech();

async function codeOf(promise: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as { extensions?: { code?: unknown }; message: string },
  );
  return { code: error.extensions?.code, message: error.message };
}

describe('embedded speech (espeak-ng, pocketsphinx, sox)', () => {
  it('speaks a sentence as WAV and hears the same words back', async () => {
    const spoken = await speech.tts.synthesize({ text: SENTENCE, voice: speech.tts.defaultVoice, rate: 1, format: 'wav' });
    const wav = parseWav(spoken.audio);
    expect(spoken.mimeType).toBe('audio/wav');
    expect(wav).toMatchObject({ audioFormat: 1, channels: 1, bitsPerSample: 16 });
    expect(spoken.durationMs).toBeGreaterThan(1000);
    expect(spoken.durationMs).toBe(wav!.durationMs);
    const heard = await speech.stt.transcribe({ audio: spoken.audio, container: 'wav' });
    expect(recognized(heard.text)).toBeGreaterThanOrEqual(5);
    expect(heard.language).toBe('en');
    expect(heard.confidence).toBeGreaterThan(0);
    expect(heard.confidence).toBeLessThanOrEqual(1);
    expect(Math.abs(heard.durationMs - spoken.durationMs)).toBeLessThan(100);
  });

  it('speaks MP3 and OGG that decode back to speech of the same length', async () => {
    expect(await speech.tts.formats()).toEqual(['wav', 'mp3', 'ogg']);
    for (const format of ['mp3', 'ogg'] as const) {
      const spoken = await speech.tts.synthesize({ text: SENTENCE, voice: speech.tts.defaultVoice, rate: 1, format });
      expect(sniffAudio(spoken.audio)?.container).toBe(format);
      expect(Math.abs(containerDurationMs(spoken.audio, format)! - spoken.durationMs), format).toBeLessThan(150);
      const heard = await speech.stt.transcribe({ audio: spoken.audio, container: format });
      // Lossy MP3 at espeak-ng's 22 kHz loses some consonants ("test" → "dot"); Vorbis keeps them.
      expect(recognized(heard.text), `${format}: "${heard.text}"`).toBeGreaterThanOrEqual(format === 'mp3' ? 2 : 5);
    }
  });

  it('speaks faster at a higher rate', async () => {
    const [normal, fast] = await Promise.all(
      [1, 2].map((rate) => speech.tts.synthesize({ text: SENTENCE, voice: speech.tts.defaultVoice, rate, format: 'wav' })),
    );
    expect(fast!.durationMs).toBeLessThan(normal!.durationMs * 0.75);
  });

  it("lists espeak-ng's real voices, without MBROLA voices it cannot speak", async () => {
    const voices = await speech.tts.voices();
    const ids = voices.map((v) => v.id);
    expect(ids).toEqual(expect.arrayContaining(['en-us', 'en-gb', 'de', 'fr-fr', 'en-us+klatt', 'en-us+m3']));
    expect(new Set(ids).size).toBe(ids.length);
    expect(voices.find((v) => v.id === 'en-us')).toEqual({ id: 'en-us', name: 'English (America)', language: 'en-us' });
    expect(voices.filter((v) => /mbrola/i.test(v.name))).toEqual([]);
  });

  it('refuses audio that does not decode, audio over the length limit, and languages it lacks', async () => {
    const fakeWav = Buffer.concat([Buffer.from('RIFF\u0000\u0000\u0000\u0000WAVEjunk', 'latin1'), Buffer.alloc(64, 7)]);
    await expect(speech.stt.transcribe({ audio: fakeWav, container: 'wav' })).rejects.toMatchObject({ problem: 'INVALID_AUDIO' });
    await expect(speech.stt.transcribe({ audio: Buffer.from('OggS not really', 'latin1'), container: 'ogg' })).rejects.toBeInstanceOf(SpeechInputError);
    const spoken = await speech.tts.synthesize({ text: SENTENCE, voice: speech.tts.defaultVoice, rate: 1, format: 'wav' });
    await expect(speech.stt.transcribe({ audio: spoken.audio, container: 'wav', maxDurationMs: 1000 })).rejects.toMatchObject({ problem: 'TOO_LONG' });
    await expect(speech.stt.transcribe({ audio: spoken.audio, container: 'wav', language: 'de' })).rejects.toMatchObject({ problem: 'UNSUPPORTED_LANGUAGE' });
    const silence = pcmToWav(Buffer.alloc(0), 16_000);
    await expect(speech.stt.transcribe({ audio: silence, container: 'wav' })).rejects.toMatchObject({ problem: 'INVALID_AUDIO' });
  });

  it('decodes WebM (Opus) through ffmpeg', async () => {
    const spoken = await speech.tts.synthesize({ text: SENTENCE, voice: speech.tts.defaultVoice, rate: 1, format: 'wav' });
    const { spawnSync } = await import('node:child_process');
    const webm = spawnSync('ffmpeg', ['-loglevel', 'error', '-i', 'pipe:0', '-c:a', 'libopus', '-f', 'webm', 'pipe:1'], { input: spoken.audio }).stdout;
    expect(sniffAudio(webm)).toEqual({ container: 'webm' });
    const heard = await speech.stt.transcribe({ audio: webm, container: 'webm' });
    expect(recognized(heard.text)).toBeGreaterThanOrEqual(4);
  });

  it('names the Debian package to install when an engine is missing', async () => {
    const broken = createEmbeddedSpeech({ espeakPath: '/nonexistent/espeak-ng', pocketsphinxPath: '/nonexistent/pocketsphinx_continuous', soxPath: '/nonexistent/sox' });
    const tts = await codeOf(broken.tts.synthesize({ text: SENTENCE, voice: 'en-us', rate: 1, format: 'wav' }));
    expect(tts).toEqual({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringContaining('apt-get install -y espeak-ng') });
    expect((await codeOf(broken.tts.voices())).code).toBe('PROVIDER_UNAVAILABLE');
    // Without sox only WAV can be produced.
    expect(await broken.tts.formats()).toEqual(['wav']);
    const wav = pcmToWav(Buffer.alloc(32_000), 16_000);
    expect(await codeOf(broken.stt.transcribe({ audio: wav, container: 'wav' }))).toEqual({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringContaining('package sox') });
    const noRecognizer = createEmbeddedSpeech({ pocketsphinxPath: '/nonexistent/pocketsphinx_continuous' });
    expect(await codeOf(noRecognizer.stt.transcribe({ audio: wav, container: 'wav' }))).toEqual({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringContaining('package pocketsphinx ') });
    const noModel = createEmbeddedSpeech({ pocketsphinxModelDir: '/nonexistent/model' });
    expect(await codeOf(noModel.stt.transcribe({ audio: wav, container: 'wav' }))).toEqual({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringContaining('pocketsphinx-en-us') });
    const noFfmpeg = createEmbeddedSpeech({ ffmpegPath: '/nonexistent/ffmpeg' });
    const webmHeader = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await codeOf(noFfmpeg.stt.transcribe({ audio: webmHeader, container: 'webm' }))).toEqual({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringContaining('package ffmpeg') });
  });
});

describe('audio containers', () => {
  it('repairs the sizes of a WAV written to a pipe', () => {
    const wav = pcmToWav(Buffer.alloc(16_000), 8_000);
    const streamed = Buffer.from(wav);
    streamed.writeUInt32LE(0x7fffffff, 4);
    streamed.writeUInt32LE(0x7fffffff, 40);
    expect(parseWav(streamed)?.durationMs).toBe(1000);
    const repaired = repairWavSizes(streamed);
    expect(repaired.readUInt32LE(4)).toBe(wav.length - 8);
    expect(repaired.readUInt32LE(40)).toBe(16_000);
  });

  it('sniffs containers by their bytes, not their names', () => {
    expect(sniffAudio(pcmToWav(Buffer.alloc(10), 8000))).toEqual({ container: 'wav' });
    expect(sniffAudio(Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000abcdef', 'latin1'))).toEqual({ container: 'mp3' });
    expect(sniffAudio(Buffer.from('hello, this is text', 'utf8'))).toBeUndefined();
    expect(sniffAudio(Buffer.alloc(4))).toBeUndefined();
  });

  it('measures MP3 by its frames and Ogg by its last granule', () => {
    const frame = Buffer.alloc(417);
    frame.writeUInt32BE(0xfffb9000);
    // 38 frames of 1152 samples at 44.1 kHz.
    expect(mp3DurationMs(Buffer.concat(Array.from({ length: 38 }, () => frame)))).toBe(Math.round((38 * 1152 * 1000) / 44_100));
    expect(mp3DurationMs(Buffer.from('not an mp3 at all'))).toBeUndefined();
    expect(oggDurationMs(Buffer.from('OggS but nothing else here at all', 'latin1'))).toBeUndefined();
  });
});

describe('engine output parsing', () => {
  it('reads pocketsphinx word timings: words, no fillers, mean posterior', () => {
    const output = ['hello world', '<s> 0.000 0.290 0.999900', 'hello 0.300 0.660 0.5', 'world(2) 0.670 1.110 0.9', '<sil> 1.2 1.3 0.99', '[NOISE] 1.3 1.4 0.5', '</s> 2.120 2.490 1.000000', ''].join('\n');
    expect(parsePocketsphinxTimes(output)).toEqual({ text: 'hello world', confidence: 0.7 });
    expect(parsePocketsphinxTimes('')).toEqual({ text: '', confidence: null });
  });

  it('reads espeak-ng voice lists', () => {
    const listing = ['Pty Language       Age/Gender VoiceName          File                 Other Languages', ' 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)', ' 5  en-us           --/M      us-mbrola-2        mb/mb-us2            (en 7)'].join('\n');
    expect(parseEspeakVoiceList(listing)).toEqual([
      { language: 'en-us', name: 'English (America)', file: 'gmw/en-US' },
      { language: 'en-us', name: 'us-mbrola-2', file: 'mb/mb-us2' },
    ]);
  });
});
