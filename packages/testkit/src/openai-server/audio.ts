import { setTimeout as sleep } from 'node:timers/promises';
import { registerFakeOpenAIRoute, sendOpenAIError, type FakeOpenAIRequest, type FakeOpenAIServer } from './index.js';

/**
 * POST /v1/audio/speech and POST /v1/audio/transcriptions of the fake OpenAI server.
 *
 * Speech is a quiet tone lasting as long as the words would take at ~150 words a minute
 * (divided by `speed`), as WAV (24 kHz mono, 16-bit), MP3 (silent MPEG-1 Layer III frames) or
 * Opus in Ogg (`response_format: opus`). A WAV also carries the spoken text in a private
 * `ftxt` chunk, so transcribing the fake's own WAV gives the words back: a round trip through
 * the SDK path. Any other audio transcribes to the `transcript` knob. Knobs, read per request
 * from `server.behaviour`:
 * - `audioDelayMs` (number): pause before answering either route.
 * - `audioFailStatus` (number): answer both routes with this HTTP error status.
 * - `transcript` (string): text of audio that carries none (default "fake transcript").
 * - `transcriptLogprob` (number): the segments' `avg_logprob` (default -0.1, a confidence of 0.905).
 */
export interface FakeAudioStats {
  speechRequests: number;
  transcriptionRequests: number;
  /** The last speech request's JSON body. */
  lastSpeech?: Record<string, unknown>;
  /** The last transcription request's form fields (not the file). */
  lastTranscription?: Record<string, string>;
}

const stats = new WeakMap<FakeOpenAIServer, FakeAudioStats>();

export function fakeAudioStats(server: FakeOpenAIServer): FakeAudioStats {
  let current = stats.get(server);
  if (!current) stats.set(server, (current = { speechRequests: 0, transcriptionRequests: 0 }));
  return current;
}

const numberKnob = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

const WAV_RATE = 24_000;

function fakeWav(seconds: number, text: string): Buffer {
  const samples = Math.max(1, Math.round(seconds * WAV_RATE));
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(2000 * Math.sin((2 * Math.PI * 220 * i) / WAV_RATE)), i * 2);
  const textBytes = Buffer.from(text, 'utf8');
  const textChunk = Buffer.concat([Buffer.from('ftxt', 'latin1'), u32(textBytes.length), textBytes, Buffer.alloc(textBytes.length % 2)]);
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(1, 10);
  fmt.writeUInt32LE(WAV_RATE, 12);
  fmt.writeUInt32LE(WAV_RATE * 2, 16);
  fmt.writeUInt16LE(2, 20);
  fmt.writeUInt16LE(16, 22);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), fmt, textChunk, Buffer.from('data', 'latin1'), u32(pcm.length), pcm]);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), u32(body.length), body]);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

/** Silent MPEG-1 Layer III frames, 128 kbit/s at 44.1 kHz: 417 bytes and 1152 samples each. */
function fakeMp3(seconds: number): Buffer {
  const frames = Math.max(1, Math.round((seconds * 44_100) / 1152));
  const frame = Buffer.alloc(417);
  frame.writeUInt32BE(0xfffb9000);
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let r = i << 24;
  for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

function oggPage(headerType: number, granule: bigint, sequence: number, packet: Buffer): Buffer {
  const lacing: number[] = [];
  for (let left = packet.length; ; left -= 255) {
    lacing.push(Math.min(255, left));
    if (left < 255) break;
  }
  const header = Buffer.alloc(27 + lacing.length);
  header.write('OggS', 0, 'latin1');
  header[5] = headerType;
  header.writeBigInt64LE(granule, 6);
  header.writeUInt32LE(0x5eed, 14);
  header.writeUInt32LE(sequence, 18);
  header[26] = lacing.length;
  lacing.forEach((l, i) => (header[27 + i] = l));
  const page = Buffer.concat([header, packet]);
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  page.writeUInt32LE(crc, 22);
  return page;
}

/** Ogg Opus with the stream's length in the last granule position (48 kHz, 312 samples pre-skip). */
function fakeOggOpus(seconds: number): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(312, 10);
  head.writeUInt32LE(24_000, 12);
  const tags = Buffer.concat([Buffer.from('OpusTags', 'latin1'), u32(4), Buffer.from('fake', 'latin1'), u32(0)]);
  const end = BigInt(312 + Math.round(seconds * 48_000));
  return Buffer.concat([oggPage(2, 0n, 0, head), oggPage(0, 0n, 1, tags), oggPage(4, end, 2, Buffer.from([0xf8, 0xff, 0xfe]))]);
}

function wavInfo(data: Buffer): { seconds: number; text?: string } | undefined {
  if (data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let byteRate = 0;
  let text: string | undefined;
  for (let offset = 12; offset + 8 <= data.length; ) {
    const id = data.toString('latin1', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    if (id === 'fmt ') byteRate = data.readUInt32LE(offset + 16);
    if (id === 'ftxt') text = data.toString('utf8', offset + 8, offset + 8 + size);
    if (id === 'data') return byteRate ? { seconds: Math.min(size, data.length - offset - 8) / byteRate, ...(text !== undefined ? { text } : {}) } : undefined;
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

const looksLikeAudio = (data: Buffer) =>
  data.length >= 4 &&
  (['RIFF', 'OggS'].includes(data.toString('latin1', 0, 4)) || data.toString('latin1', 0, 3) === 'ID3' || data.readUInt32BE(0) === 0x1a45dfa3 || (data[0] === 0xff && (data[1]! & 0xe0) === 0xe0));

interface MultipartPart {
  name: string;
  filename?: string;
  data: Buffer;
}

/** Enough of multipart/form-data for the SDK's uploads. */
export function parseMultipart(request: FakeOpenAIRequest): MultipartPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(String(request.headers['content-type'] ?? ''));
  const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ''}`);
  const parts: MultipartPart[] = [];
  let start = request.body.indexOf(marker);
  while (start >= 0) {
    const next = request.body.indexOf(marker, start + marker.length);
    if (next < 0) break;
    const part = request.body.subarray(start + marker.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    if (name) parts.push({ name, ...(filename !== undefined ? { filename } : {}), data: part.subarray(split + 4) });
    start = next;
  }
  return parts;
}

async function commonKnobs(server: FakeOpenAIServer): Promise<number | undefined> {
  const delay = numberKnob(server.behaviour.audioDelayMs);
  if (delay) await sleep(delay);
  return numberKnob(server.behaviour.audioFailStatus);
}

registerFakeOpenAIRoute('POST /v1/audio/speech', async (request, res, server) => {
  const counters = fakeAudioStats(server);
  counters.speechRequests += 1;
  const failStatus = await commonKnobs(server);
  if (failStatus) return sendOpenAIError(res, failStatus, `Fake failure with status ${failStatus}`);
  const body = request.json<{ model?: string; input?: string; voice?: string; response_format?: string; speed?: number }>();
  counters.lastSpeech = body;
  if (!body.model || !body.voice || typeof body.input !== 'string' || !body.input) {
    return sendOpenAIError(res, 400, 'model, voice and input are required', 'invalid_request_error');
  }
  const words = body.input.trim().split(/\s+/).length;
  const seconds = (words / 150) * 60 / (body.speed ?? 1);
  const format = body.response_format ?? 'mp3';
  const audio = format === 'wav' ? fakeWav(seconds, body.input) : format === 'mp3' ? fakeMp3(seconds) : format === 'opus' ? fakeOggOpus(seconds) : undefined;
  if (!audio) return sendOpenAIError(res, 400, `Unsupported response_format ${format}`, 'invalid_request_error');
  res.writeHead(200, { 'content-type': format === 'wav' ? 'audio/wav' : format === 'mp3' ? 'audio/mpeg' : 'audio/ogg' });
  res.end(audio);
});

registerFakeOpenAIRoute('POST /v1/audio/transcriptions', async (request, res, server) => {
  const counters = fakeAudioStats(server);
  counters.transcriptionRequests += 1;
  const failStatus = await commonKnobs(server);
  if (failStatus) return sendOpenAIError(res, failStatus, `Fake failure with status ${failStatus}`);
  const parts = parseMultipart(request);
  const fields = Object.fromEntries(parts.filter((p) => p.filename === undefined).map((p) => [p.name, p.data.toString('utf8')]));
  counters.lastTranscription = fields;
  const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
  if (!file || !fields.model) return sendOpenAIError(res, 400, 'file and model are required', 'invalid_request_error');
  if (!looksLikeAudio(file.data)) return sendOpenAIError(res, 400, 'Invalid file format.', 'invalid_request_error');
  const wav = wavInfo(file.data);
  const text = wav?.text ?? (typeof server.behaviour.transcript === 'string' ? server.behaviour.transcript : 'fake transcript');
  const duration = wav?.seconds ?? 1;
  const format = fields.response_format ?? 'json';
  if (format === 'text') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(text);
    return;
  }
  const payload =
    format === 'verbose_json'
      ? { task: 'transcribe', language: fields.language === 'es' ? 'spanish' : 'english', duration, text, segments: [{ id: 0, seek: 0, start: 0, end: duration, text, tokens: [], temperature: 0, avg_logprob: numberKnob(server.behaviour.transcriptLogprob) ?? -0.1, compression_ratio: 1, no_speech_prob: 0.01 }] }
      : { text };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
});
