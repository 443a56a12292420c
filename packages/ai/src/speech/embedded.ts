import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, repairWavSizes, SPEECH_MIME_TYPES, type AudioContainer, type SpeechFormat } from './audio.js';
import {
  createConcurrencyLimit,
  engineMissing,
  ProcessFailedError,
  runProcess,
  type ConcurrencyLimit,
  type EngineBinary,
} from './processes.js';
import {
  SpeechInputError,
  type SpeechToText,
  type SpeechVoice,
  type SynthesisRequest,
  type SynthesizedSpeech,
  type TextToSpeech,
  type TranscriptionRequest,
  type TranscriptionResult,
} from './types.js';

/**
 * The embedded speech engines: espeak-ng speaks, pocketsphinx listens, sox (and ffmpeg for
 * WebM and Ogg Opus) converts. All are Debian packages run as child processes; a missing one
 * fails the call with PROVIDER_UNAVAILABLE naming its package, and nothing else.
 */
export interface EmbeddedSpeechOptions {
  espeakPath?: string;
  pocketsphinxPath?: string;
  /** Folder holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict`. */
  pocketsphinxModelDir?: string;
  soxPath?: string;
  ffmpegPath?: string;
  /** Voice used when the caller names none. */
  defaultVoice?: string;
  /** Kill an engine run after this long. */
  timeoutMs?: number;
  /** Engine processes at once (they are CPU-bound); shared by speaking and listening. */
  concurrency?: number | ConcurrencyLimit;
  /** Words pocketsphinx should be able to hear beyond its stock dictionary and language model. */
  pocketsphinxVocabulary?: PocketsphinxVocabulary;
}

/**
 * Extra vocabulary for pocketsphinx: `pronunciations` are dictionary lines (`word PH ONES`)
 * appended to the stock dictionary; `words` (each with a pronunciation there or in the stock
 * dictionary) become one word class of the stock language model, equally likely, so the
 * recognizer can output them where the model expects an unknown word.
 */
export interface PocketsphinxVocabulary {
  pronunciations: string;
  words: readonly string[];
}

export const EMBEDDED_DEFAULT_VOICE = 'en-us+klatt';
export const POCKETSPHINX_DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
/** espeak-ng words per minute at rate 1: slower than its own default, clearer for recognition and listeners. */
const BASE_WORDS_PER_MINUTE = 140;
/** What pocketsphinx's en-us model expects. */
const RECOGNIZER_SAMPLE_RATE = 16_000;

interface EmbeddedEngines {
  espeak: EngineBinary;
  pocketsphinx: EngineBinary;
  pocketsphinxModel: EngineBinary;
  sox: EngineBinary;
  soxMp3: EngineBinary;
  ffmpeg: EngineBinary;
}

function engines(options: EmbeddedSpeechOptions): EmbeddedEngines {
  const sox = options.soxPath ?? 'sox';
  return {
    espeak: { command: options.espeakPath ?? 'espeak-ng', debianPackage: 'espeak-ng', envVariable: 'ESPEAK_NG_PATH' },
    pocketsphinx: { command: options.pocketsphinxPath ?? 'pocketsphinx_continuous', debianPackage: 'pocketsphinx', envVariable: 'POCKETSPHINX_PATH' },
    pocketsphinxModel: { command: options.pocketsphinxModelDir ?? POCKETSPHINX_DEFAULT_MODEL_DIR, debianPackage: 'pocketsphinx-en-us', envVariable: 'POCKETSPHINX_MODEL_DIR' },
    sox: { command: sox, debianPackage: 'sox', envVariable: 'SOX_PATH' },
    soxMp3: { command: `${sox} (MP3 support)`, debianPackage: 'libsox-fmt-mp3', envVariable: 'SOX_PATH' },
    ffmpeg: { command: options.ffmpegPath ?? 'ffmpeg', debianPackage: 'ffmpeg', envVariable: 'FFMPEG_PATH' },
  };
}

/** Parses `espeak-ng --voices[=variant]`: Pty, Language, Age/Gender, VoiceName, File, Other languages. */
export function parseEspeakVoiceList(output: string): Array<{ language: string; name: string; file: string }> {
  return output
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns.length >= 5)
    .map(([, language, , name, file]) => ({ language: language!, name: name!.replace(/_/g, ' '), file: file! }));
}

export interface EmbeddedSpeech {
  tts: TextToSpeech;
  stt: SpeechToText;
}

export function createEmbeddedSpeech(options: EmbeddedSpeechOptions = {}): EmbeddedSpeech {
  const bin = engines(options);
  const timeoutMs = options.timeoutMs ?? 900_000;
  const limit = typeof options.concurrency === 'function' ? options.concurrency : createConcurrencyLimit(options.concurrency ?? availableParallelism());
  const defaultVoice = options.defaultVoice ?? EMBEDDED_DEFAULT_VOICE;
  const run = (binary: EngineBinary, args: string[], input: Buffer | string | undefined, signal?: AbortSignal) =>
    limit(() => runProcess(binary, args, { input, timeoutMs, signal }));

  // Engine capabilities are asked once; a failure (engine missing) is not cached, so
  // installing the package fixes a running service.
  const once = <T>(load: () => Promise<T>) => {
    let pending: Promise<T> | undefined;
    return () => {
      pending ??= load().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    };
  };

  const soxFormats = once(async () => {
    const { stdout } = await runProcess(bin.sox, ['-h'], { timeoutMs: 10_000 });
    const line = stdout.toString('utf8').split('\n').find((l) => l.startsWith('AUDIO FILE FORMATS:')) ?? '';
    return new Set(line.replace('AUDIO FILE FORMATS:', '').trim().split(/\s+/));
  });

  const voiceList = once(async (): Promise<SpeechVoice[]> => {
    const [languages, variants] = await Promise.all([
      run(bin.espeak, ['--voices'], undefined),
      run(bin.espeak, ['--voices=variant'], undefined),
    ]);
    const voices = new Map<string, SpeechVoice>();
    // MBROLA voices need the mbrola program and voice data, which the Debian packages above
    // do not install: list only what speaks here.
    for (const v of parseEspeakVoiceList(languages.stdout.toString('utf8'))) {
      if (v.language === 'variant' || v.file.startsWith('mb/') || v.file.startsWith('!v/') || voices.has(v.language)) continue;
      voices.set(v.language, { id: v.language, name: v.name, language: v.language });
    }
    const base = defaultVoice.split('+')[0]!;
    const baseName = voices.get(base)?.name ?? base;
    for (const v of parseEspeakVoiceList(variants.stdout.toString('utf8'))) {
      if (!v.file.startsWith('!v/')) continue;
      const id = `${base}+${v.file.slice(3)}`;
      if (!voices.has(id)) voices.set(id, { id, name: `${baseName} (${v.name})`, language: base });
    }
    return [...voices.values()];
  });

  const tts: TextToSpeech = {
    engine: 'embedded',
    defaultVoice,
    voices: voiceList,
    async formats() {
      let available: Set<string>;
      try {
        available = await soxFormats();
      } catch {
        // Without sox we still speak WAV: espeak-ng writes it and we repair its header in memory.
        return ['wav'];
      }
      const formats: SpeechFormat[] = ['wav'];
      if (available.has('mp3')) formats.push('mp3');
      if (available.has('vorbis') || available.has('ogg')) formats.push('ogg');
      return formats;
    },
    async synthesize({ text, voice, rate, format, signal }: SynthesisRequest): Promise<SynthesizedSpeech> {
      const wordsPerMinute = Math.round(Math.min(450, Math.max(80, BASE_WORDS_PER_MINUTE * rate)));
      let wav: Buffer;
      try {
        const { stdout } = await run(bin.espeak, ['-v', voice, '-s', String(wordsPerMinute), '--stdout', '--stdin'], text, signal);
        wav = repairWavSizes(stdout);
      } catch (error) {
        if (error instanceof ProcessFailedError) throw new SpeechInputError('UNSUPPORTED_VOICE', `espeak-ng cannot speak with voice "${voice}"`);
        throw error;
      }
      const info = parseWav(wav);
      if (!info) throw new Error('espeak-ng produced no WAV audio');
      let audio = wav;
      if (format !== 'wav') {
        if (!(await tts.formats()).includes(format)) {
          throw new SpeechInputError('UNSUPPORTED_FORMAT', `The embedded engine cannot produce ${format.toUpperCase()} here`);
        }
        audio = (await run(bin.sox, ['-V1', '-t', 'wav', '-', '-t', format === 'mp3' ? 'mp3' : 'vorbis', '-'], wav, signal)).stdout;
      }
      return { audio, format, mimeType: SPEECH_MIME_TYPES[format], durationMs: info.durationMs, voice };
    },
  };

  /** Any accepted container to raw 16 kHz mono signed 16-bit PCM, cut just past the limit. */
  async function decode(audio: Buffer, container: AudioContainer, codec: string | undefined, maxDurationMs: number | undefined, signal?: AbortSignal): Promise<Buffer> {
    const maxSeconds = maxDurationMs ? String(maxDurationMs / 1000 + 1) : undefined;
    try {
      if (container === 'webm' || codec === 'opus') {
        const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', 'pipe:0', ...(maxSeconds ? ['-t', maxSeconds] : []), '-f', 's16le', '-acodec', 'pcm_s16le', '-ac', '1', '-ar', String(RECOGNIZER_SAMPLE_RATE), 'pipe:1'];
        return (await run(bin.ffmpeg, args, audio, signal)).stdout;
      }
      if (container === 'mp3' && !(await soxFormats()).has('mp3')) throw engineMissing(bin.soxMp3);
      const type = container === 'ogg' ? 'vorbis' : container;
      const args = ['-V1', '-G', '-t', type, '-', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-c', '1', '-r', String(RECOGNIZER_SAMPLE_RATE), '-', ...(maxSeconds ? ['trim', '0', maxSeconds] : [])];
      return (await run(bin.sox, args, audio, signal)).stdout;
    } catch (error) {
      if (error instanceof ProcessFailedError) throw new SpeechInputError('INVALID_AUDIO', `The audio could not be decoded as ${container.toUpperCase()}`);
      throw error;
    }
  }

  /**
   * The recognizer's model arguments. A vocabulary's files go to a folder named by their
   * content, written once and shared by every process with the same vocabulary and model
   * (checked on every call: a temporary-files cleaner may have removed it).
   */
  const recognizerModel = async (): Promise<string[]> => {
    const model = bin.pocketsphinxModel.command;
    const stock = ['-hmm', join(model, 'en-us'), '-dict', join(model, 'cmudict-en-us.dict')];
    const vocabulary = options.pocketsphinxVocabulary;
    if (!vocabulary?.words.length) return [...stock, '-lm', join(model, 'en-us.lm.bin')];
    const key = createHash('sha256').update(JSON.stringify([model, vocabulary.pronunciations, vocabulary.words])).digest('hex').slice(0, 16);
    const folder = join(tmpdir(), `voice-stt-vocabulary-${key}`);
    const dictionary = join(folder, 'dictionary.dict');
    const classes = join(folder, 'vocabulary.lmclass');
    const control = join(folder, 'models.lmctl');
    if (!existsSync(control)) {
      if (!existsSync(join(model, 'cmudict-en-us.dict'))) throw engineMissing(bin.pocketsphinxModel);
      // Written aside and renamed, so a concurrent process never reads half a folder.
      const staging = await mkdtemp(`${folder}-`);
      const stockDictionary = await readFile(join(model, 'cmudict-en-us.dict'), 'utf8');
      await writeFile(join(staging, 'dictionary.dict'), `${stockDictionary.replace(/\n?$/, '\n')}${vocabulary.pronunciations}`);
      await writeFile(join(staging, 'vocabulary.lmclass'), ['LMCLASS [vocabulary]', ...vocabulary.words, 'END [vocabulary]', ''].join('\n'));
      await writeFile(join(staging, 'models.lmctl'), `{ ${classes} }\n${join(model, 'en-us.lm.bin')} stock { [vocabulary] }\n`);
      await rename(staging, folder).catch(async () => {
        // Another call got there first: its folder is the same.
        await rm(staging, { recursive: true, force: true });
      });
    }
    return ['-hmm', join(model, 'en-us'), '-dict', dictionary, '-lmctl', control, '-lmname', 'stock'];
  };

  const stt: SpeechToText = {
    engine: 'embedded',
    async transcribe({ audio, container, language, maxDurationMs, signal }: TranscriptionRequest): Promise<TranscriptionResult> {
      if (language && !/^en(\b|[-_])/i.test(language)) {
        throw new SpeechInputError('UNSUPPORTED_LANGUAGE', 'The embedded recognizer (pocketsphinx en-us) understands English only');
      }
      const codec = container === 'ogg' && audio.subarray(0, 128).includes('OpusHead') ? 'opus' : undefined;
      const pcm = await decode(audio, container, codec, maxDurationMs, signal);
      const durationMs = Math.round((pcm.length / 2 / RECOGNIZER_SAMPLE_RATE) * 1000);
      if (pcm.length < 2) throw new SpeechInputError('INVALID_AUDIO', 'The audio contains no samples');
      if (maxDurationMs !== undefined && durationMs > maxDurationMs) {
        throw new SpeechInputError('TOO_LONG', `The audio is longer than ${Math.round(maxDurationMs / 1000)} seconds`);
      }
      const model = bin.pocketsphinxModel.command;
      if (!existsSync(join(model, 'en-us'))) throw engineMissing(bin.pocketsphinxModel);
      // pocketsphinx_continuous reads only files (Node's stdio pipes are sockets it cannot open):
      // the samples go to a private temporary folder, removed straight after.
      const folder = await mkdtemp(join(tmpdir(), 'voice-stt-'));
      try {
        const input = join(folder, 'audio.raw');
        // A moment of silence either side helps the recognizer with clips that start or end mid-word.
        const silence = Buffer.alloc(Math.round(RECOGNIZER_SAMPLE_RATE * 0.3) * 2);
        await writeFile(input, Buffer.concat([silence, pcm, silence]), { mode: 0o600 });
        const args = ['-infile', input, '-logfn', '/dev/null', '-time', 'yes', ...(await recognizerModel())];
        const { stdout } = await run(bin.pocketsphinx, args, undefined, signal);
        return { ...parsePocketsphinxTimes(stdout.toString('utf8')), language: 'en', durationMs };
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  };

  return { tts, stt };
}

/**
 * `pocketsphinx_continuous -time yes` prints, per utterance, the hypothesis and then one line
 * per word: `word start end posterior`. Words are read from those lines (alternate
 * pronunciations like `read(2)` unmarked, silences and fillers dropped); confidence is the
 * mean word posterior.
 */
export function parsePocketsphinxTimes(output: string): { text: string; confidence: number | null } {
  const words: string[] = [];
  const posteriors: number[] = [];
  for (const line of output.split('\n')) {
    const match = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!match) continue;
    const word = match[1]!;
    if (/^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+|\+.*\+)$/.test(word)) continue;
    words.push(word.replace(/\(\d+\)$/, ''));
    posteriors.push(Number(match[4]));
  }
  const confidence = posteriors.length ? posteriors.reduce((a, b) => a + b, 0) / posteriors.length : null;
  return { text: words.join(' '), confidence: confidence === null ? null : Math.round(confidence * 1000) / 1000 };
}
