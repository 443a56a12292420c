import { ACCEPTED_AUDIO_MIME_TYPES, containerForMimeType, sniffAudio, type AudioContainer } from '@voiceassist/ai';
import { badUserInput } from '@voiceassist/errors';

/** The GraphQL `AudioInput`. */
export interface AudioInput {
  base64: string;
  mimeType: string;
  language?: string | null;
}

export interface DecodedAudio {
  audio: Buffer;
  container: AudioContainer;
  language: string | undefined;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const LANGUAGE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/;

const megabytes = (bytes: number) => `${Math.round((bytes / 1_048_576) * 10) / 10} MB`;

/**
 * Checks an AudioInput before any engine sees it: a type we accept, base64 that decodes,
 * within the size limit, and bytes that really are the declared container. Each failure is
 * BAD_USER_INPUT naming the field (`<field>.mimeType`, `<field>.base64`, `<field>.language`).
 */
export function decodeAudioInput(input: AudioInput, field: string, maxBytes: number): DecodedAudio {
  const declared = containerForMimeType(input.mimeType);
  if (!declared) {
    throw badUserInput(`Unsupported audio type "${input.mimeType.slice(0, 100)}": send ${ACCEPTED_AUDIO_MIME_TYPES.join(', ')}`, `${field}.mimeType`, {
      reason: 'UNSUPPORTED_FORMAT',
    });
  }
  const language = input.language?.trim() || undefined;
  if (language && !LANGUAGE.test(language)) throw badUserInput('Language must be a code such as en or en-US', `${field}.language`);

  // A data: URL is what FileReader.readAsDataURL gives a browser; accept it as is.
  const comma = input.base64.startsWith('data:') ? input.base64.indexOf(',') : -1;
  const encoded = (comma >= 0 ? input.base64.slice(comma + 1) : input.base64).replace(/\s+/g, '');
  const estimatedBytes = Math.floor((encoded.length * 3) / 4);
  if (estimatedBytes > maxBytes + 2) {
    throw badUserInput(`Audio is larger than ${megabytes(maxBytes)}`, `${field}.base64`, { reason: 'TOO_LARGE', maxBytes });
  }
  if (!BASE64.test(encoded)) throw badUserInput('Audio is not valid base64', `${field}.base64`, { reason: 'INVALID_BASE64' });
  const audio = Buffer.from(encoded, 'base64');
  if (audio.length > maxBytes) {
    throw badUserInput(`Audio is larger than ${megabytes(maxBytes)}`, `${field}.base64`, { reason: 'TOO_LARGE', maxBytes });
  }
  const sniffed = sniffAudio(audio);
  if (!sniffed) throw badUserInput('This is not WAV, MP3, OGG or WebM audio', `${field}.base64`, { reason: 'INVALID_AUDIO' });
  if (sniffed.container !== declared) {
    throw badUserInput(`The audio is ${sniffed.container.toUpperCase()}, not ${declared.toUpperCase()} as declared`, `${field}.mimeType`, {
      reason: 'TYPE_MISMATCH',
    });
  }
  return { audio, container: sniffed.container, language };
}
