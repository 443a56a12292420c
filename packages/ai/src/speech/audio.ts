/**
 * Audio containers without a decoder: what a buffer is (from its bytes, not its claimed type),
 * how long it lasts where the container says so, and WAV headers built or repaired in memory.
 */

/** Containers accepted for transcription. */
export type AudioContainer = 'wav' | 'mp3' | 'ogg' | 'webm';
/** Formats speech can be synthesized to. */
export type SpeechFormat = 'wav' | 'mp3' | 'ogg';

export const SPEECH_MIME_TYPES: Record<SpeechFormat, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
};

const CONTAINER_BY_MIME: Record<string, AudioContainer> = {
  'audio/wav': 'wav',
  'audio/wave': 'wav',
  'audio/x-wav': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mpeg3': 'mp3',
  'audio/x-mpeg-3': 'mp3',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'application/ogg': 'ogg',
  'audio/webm': 'webm',
  'video/webm': 'webm',
};

/** The container a MIME type names (parameters such as `;codecs=opus` ignored), or undefined. */
export function containerForMimeType(mimeType: string): AudioContainer | undefined {
  const base = mimeType.split(';')[0]?.trim().toLowerCase() ?? '';
  return CONTAINER_BY_MIME[base];
}

export const ACCEPTED_AUDIO_MIME_TYPES = ['audio/wav', 'audio/mpeg', 'audio/ogg', 'audio/webm'] as const;

export interface SniffedAudio {
  container: AudioContainer;
  /** For OGG: the codec of its first stream. */
  codec?: 'opus' | 'vorbis' | 'unknown';
}

/** What the bytes are, by their magic numbers; undefined for anything we do not accept. */
export function sniffAudio(data: Buffer): SniffedAudio | undefined {
  if (data.length < 12) return undefined;
  if (data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WAVE') return { container: 'wav' };
  if (data.toString('latin1', 0, 4) === 'OggS') {
    const head = data.subarray(0, 128).toString('latin1');
    return { container: 'ogg', codec: head.includes('OpusHead') ? 'opus' : head.includes('\u0001vorbis') ? 'vorbis' : 'unknown' };
  }
  if (data.readUInt32BE(0) === 0x1a45dfa3) return { container: 'webm' };
  if (data.toString('latin1', 0, 3) === 'ID3') return { container: 'mp3' };
  if (mp3FrameAt(data, 0)) return { container: 'mp3' };
  return undefined;
}

// --- WAV -------------------------------------------------------------------------------------

export interface WavInfo {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  byteRate: number;
  dataOffset: number;
  /** Bytes of sample data actually present (streamed headers often claim 0xFFFFFFFF). */
  dataLength: number;
  durationMs: number;
}

/** Parses a RIFF/WAVE header; undefined when the buffer is not a usable WAV file. */
export function parseWav(data: Buffer): WavInfo | undefined {
  if (data.length < 12 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataLength' | 'durationMs'> | undefined;
  while (offset + 8 <= data.length) {
    const id = data.toString('latin1', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= data.length) {
      fmt = {
        audioFormat: data.readUInt16LE(body),
        channels: data.readUInt16LE(body + 2),
        sampleRate: data.readUInt32LE(body + 4),
        byteRate: data.readUInt32LE(body + 8),
        bitsPerSample: data.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.byteRate === 0 || fmt.channels === 0 || fmt.sampleRate === 0) return undefined;
      const dataLength = Math.min(size, data.length - body);
      return { ...fmt, dataOffset: body, dataLength, durationMs: Math.round((dataLength / fmt.byteRate) * 1000) };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

/** A 16-bit PCM WAV file around raw little-endian samples. */
export function pcmToWav(pcm: Buffer, sampleRate: number, channels = 1): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** Rewrites the RIFF and data sizes of a WAV written to a pipe (where the writer could not seek back). */
export function repairWavSizes(data: Buffer): Buffer {
  const info = parseWav(data);
  if (!info) return data;
  const fixed = Buffer.from(data.subarray(0, info.dataOffset + info.dataLength));
  fixed.writeUInt32LE(fixed.length - 8, 4);
  fixed.writeUInt32LE(info.dataLength, info.dataOffset - 4);
  return fixed;
}

// --- MP3 -------------------------------------------------------------------------------------

const MP3_BITRATES_KBPS = {
  // [version1 layer1, v1 l2, v1 l3, v2 l1, v2 l2/l3]
  v1l1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  v1l2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  v1l3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2l1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  v2l23: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_SAMPLE_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

interface Mp3Frame {
  length: number;
  samples: number;
  sampleRate: number;
}

function mp3FrameAt(data: Buffer, offset: number): Mp3Frame | undefined {
  if (offset + 4 > data.length) return undefined;
  const header = data.readUInt32BE(offset);
  if ((header & 0xffe00000) >>> 0 !== 0xffe00000) return undefined;
  const version = (header >>> 19) & 3; // 3 = MPEG1, 2 = MPEG2, 0 = MPEG2.5
  const layer = (header >>> 17) & 3; // 3 = I, 2 = II, 1 = III
  const bitrateIndex = (header >>> 12) & 15;
  const rateIndex = (header >>> 10) & 3;
  const padding = (header >>> 9) & 1;
  if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const sampleRate = MP3_SAMPLE_RATES[version]![rateIndex]!;
  const mpeg1 = version === 3;
  const table = mpeg1 ? (layer === 3 ? MP3_BITRATES_KBPS.v1l1 : layer === 2 ? MP3_BITRATES_KBPS.v1l2 : MP3_BITRATES_KBPS.v1l3) : layer === 3 ? MP3_BITRATES_KBPS.v2l1 : MP3_BITRATES_KBPS.v2l23;
  const bitrate = table[bitrateIndex]! * 1000;
  if (layer === 3) return { length: (Math.floor((12 * bitrate) / sampleRate) + padding) * 4, samples: 384, sampleRate };
  const samples = layer === 2 || mpeg1 ? 1152 : 576;
  const length = Math.floor(((samples / 8) * bitrate) / sampleRate) + padding;
  return length > 4 ? { length, samples, sampleRate } : undefined;
}

/** Duration of an MP3 stream by walking its frames; undefined when no frame chain is found. */
export function mp3DurationMs(data: Buffer): number | undefined {
  let offset = 0;
  if (data.toString('latin1', 0, 3) === 'ID3' && data.length >= 10) {
    const size = ((data[6]! & 0x7f) << 21) | ((data[7]! & 0x7f) << 14) | ((data[8]! & 0x7f) << 7) | (data[9]! & 0x7f);
    offset = 10 + size + ((data[5]! & 0x10) !== 0 ? 10 : 0);
  }
  // Tolerate a little junk before the first frame.
  const limit = Math.min(data.length, offset + 4096);
  while (offset < limit && !(mp3FrameAt(data, offset) && mp3FrameAt(data, offset + mp3FrameAt(data, offset)!.length))) offset += 1;
  let seconds = 0;
  let frames = 0;
  for (let frame = mp3FrameAt(data, offset); frame && offset + frame.length <= data.length; frame = mp3FrameAt(data, offset)) {
    seconds += frame.samples / frame.sampleRate;
    frames += 1;
    offset += frame.length;
  }
  return frames > 0 ? Math.round(seconds * 1000) : undefined;
}

// --- OGG -------------------------------------------------------------------------------------

/** Duration of an Ogg Opus or Vorbis stream from its last page's granule position. */
export function oggDurationMs(data: Buffer): number | undefined {
  if (data.length < 28 || data.toString('latin1', 0, 4) !== 'OggS') return undefined;
  const segments = data[26]!;
  const packet = 27 + segments;
  let rate: number;
  let preSkip = 0;
  if (data.toString('latin1', packet, packet + 8) === 'OpusHead') {
    rate = 48_000;
    preSkip = data.readUInt16LE(packet + 10);
  } else if (data.toString('latin1', packet, packet + 7) === '\u0001vorbis') {
    rate = data.readUInt32LE(packet + 12);
  } else {
    return undefined;
  }
  for (let offset = data.lastIndexOf('OggS', data.length - 27, 'latin1'); offset >= 0; offset = data.lastIndexOf('OggS', offset - 1, 'latin1')) {
    if (offset + 14 > data.length) continue;
    const granule = Number(data.readBigInt64LE(offset + 6));
    if (granule >= 0 && rate > 0) return Math.max(0, Math.round(((granule - preSkip) / rate) * 1000));
  }
  return undefined;
}

/** Duration from the container alone (WAV header, MP3 frames, OGG granule); undefined when it does not say. */
export function containerDurationMs(data: Buffer, container: AudioContainer): number | undefined {
  switch (container) {
    case 'wav':
      return parseWav(data)?.durationMs;
    case 'mp3':
      return mp3DurationMs(data);
    case 'ogg':
      return oggDurationMs(data);
    default:
      return undefined;
  }
}
