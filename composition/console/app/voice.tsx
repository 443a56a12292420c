import { useRef, useState } from 'react';
import { SpeechStreamDocument } from '@voiceassist/typed-operations';
import { useSubscription } from './hooks.js';

/** Recorded audio, ready for an `AudioInput`. */
export interface Recording {
  base64: string;
  mimeType: string;
}

const blobToBase64 = (blob: Blob) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('The recording could not be read'));
    reader.readAsDataURL(blob);
  });

/** The microphone through MediaRecorder: start, then stop for the recording. */
export function useRecorder() {
  const recorder = useRef<MediaRecorder | null>(null);
  const [recording, setRecording] = useState(false);

  async function start() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const media = new MediaRecorder(stream);
    recorder.current = media;
    media.start();
    setRecording(true);
  }

  function stop(): Promise<Recording> {
    const media = recorder.current;
    if (!media) return Promise.reject(new Error('Not recording'));
    return new Promise<Recording>((resolve, reject) => {
      const parts: Blob[] = [];
      media.ondataavailable = (event) => parts.push(event.data);
      media.onstop = () => {
        media.stream.getTracks().forEach((track) => track.stop());
        recorder.current = null;
        setRecording(false);
        const blob = new Blob(parts, { type: media.mimeType || 'audio/webm' });
        blobToBase64(blob).then((base64) => resolve({ base64, mimeType: blob.type }), reject);
      };
      media.stop();
    });
  }

  return { recording, start, stop };
}

/**
 * Plays a reply's speech as it streams: each sentence's audio as it arrives, one after the
 * other. Reconnects resume after the last chunk received.
 */
export function SpeechPlayer({ messageId, onError }: { messageId: string; onError(error: unknown): void }) {
  const queue = useRef<string[]>([]);
  const lastIndex = useRef<number | null>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const [received, setReceived] = useState(0);
  const [played, setPlayed] = useState(0);
  const [done, setDone] = useState(false);
  const [playing, setPlaying] = useState(false);

  function playNext() {
    const next = queue.current.shift();
    const element = audio.current;
    if (!next || !element) {
      setPlaying(false);
      return;
    }
    setPlaying(true);
    element.src = next;
    void element.play().catch(() => {
      // Playback refused (no audio device, autoplay policy): count it and go on.
      setPlayed((n) => n + 1);
      playNext();
    });
  }

  useSubscription(
    SpeechStreamDocument,
    { enabled: !done, key: messageId, variables: () => ({ messageId, afterIndex: lastIndex.current }) },
    {
      next({ speechStream: chunk }) {
        if (chunk.done) {
          setDone(true);
          return;
        }
        lastIndex.current = chunk.index;
        if (!chunk.audio) return;
        queue.current.push(`data:${chunk.audio.mimeType};base64,${chunk.audio.base64}`);
        setReceived((n) => n + 1);
        if (!playing && audio.current?.paused !== false) playNext();
      },
      error: onError,
    },
  );

  return (
    <div className="speech-player" data-speech-received={received} data-speech-played={played} data-speech-done={done}>
      <audio
        ref={audio}
        onEnded={() => {
          setPlayed((n) => n + 1);
          playNext();
        }}
      />
      <span role="status">
        {done && played >= received ? `Spoke the reply (${received} sentences).` : `Speaking the reply: ${played} of ${received}${done ? '' : '+'} sentences played.`}
      </span>
    </div>
  );
}
