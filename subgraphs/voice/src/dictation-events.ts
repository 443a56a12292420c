import type { PubSub } from '@voiceassist/pubsub';
import type { AppliedCommand, SectionKind } from './dictation-commands.js';

/** What `dictationEvents` delivers: one per chunk stored, and one when the session ends. */
export interface DictationEvent {
  sessionId: string;
  /** The chunk's sequence number; null on the end event. */
  chunkIndex: number | null;
  /** What the chunk added as text, commands removed. */
  text: string;
  commands: AppliedCommand[];
  section: SectionKind | null;
  /** The note so far, commands applied (empty once the session has ended). */
  transcript: string;
  status: 'ACTIVE' | 'FINISHED' | 'EXPIRED';
  noteId: string | null;
}

export interface DictationEvents {
  publish(event: DictationEvent): Promise<void>;
  /** Events published from now on for the session. */
  follow(sessionId: string): AsyncIterableIterator<DictationEvent>;
}

const topic = (sessionId: string) => `voice:dictation:${sessionId}`;

/** Dictation events over the subgraph's pub/sub (Redis across instances, or in-process). */
export function createDictationEvents(pubsub: PubSub): DictationEvents {
  return {
    publish: (event) => pubsub.publish(topic(event.sessionId), event),
    follow: (sessionId) => pubsub.subscribe<DictationEvent>(topic(sessionId)),
  };
}
