import { describe, expect, it } from 'vitest';
import { pcmToWav } from '@voiceassist/ai';
import { decodeAudioInput } from './audio-input.js';
import { speakableText } from './speech.js';

const wav = pcmToWav(Buffer.alloc(3200), 16_000);

function fieldOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return (error as { extensions?: { field?: unknown } }).extensions?.field;
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('audio input', () => {
  it('accepts plain base64 and data: URLs, with codec parameters in the type', () => {
    expect(decodeAudioInput({ base64: wav.toString('base64'), mimeType: 'audio/wav' }, 'audio', 1_000_000)).toMatchObject({ container: 'wav', language: undefined });
    const dataUrl = `data:audio/wav;base64,${wav.toString('base64')}`;
    expect(decodeAudioInput({ base64: dataUrl, mimeType: 'audio/x-wav', language: 'en-US' }, 'audio', 1_000_000)).toMatchObject({ container: 'wav', language: 'en-US' });
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(20)]);
    expect(decodeAudioInput({ base64: webm.toString('base64'), mimeType: 'audio/webm;codecs=opus' }, 'audio', 1_000)).toMatchObject({ container: 'webm' });
  });

  it('names the field at fault', () => {
    const base64 = wav.toString('base64');
    expect(fieldOf(() => decodeAudioInput({ base64, mimeType: 'audio/aac' }, 'audio', 1_000_000))).toBe('audio.mimeType');
    expect(fieldOf(() => decodeAudioInput({ base64, mimeType: 'audio/wav', language: 'english please' }, 'audio', 1_000_000))).toBe('audio.language');
    expect(fieldOf(() => decodeAudioInput({ base64, mimeType: 'audio/wav' }, 'audio', 100))).toBe('audio.base64');
    expect(fieldOf(() => decodeAudioInput({ base64: 'not base64!', mimeType: 'audio/wav' }, 'audio', 1_000_000))).toBe('audio.base64');
    expect(fieldOf(() => decodeAudioInput({ base64, mimeType: 'audio/ogg' }, 'audio', 1_000_000))).toBe('audio.mimeType');
  });
});

describe('speakable text', () => {
  it('reads Markdown as a listener should hear it', () => {
    expect(speakableText('## Dose\n- Take **81 mg** of [aspirin](https://example.com) daily [1].\n- Use `metoprolol` _as directed_.')).toBe(
      'Dose\nTake 81 mg of aspirin daily.\nUse metoprolol as directed.',
    );
  });
});
