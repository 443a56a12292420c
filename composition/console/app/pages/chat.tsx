import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  AskByVoiceDocument,
  CancelGenerationDocument,
  ConversationDocument,
  MessageSpeechDocument,
  MessageStreamDocument,
  RegenerateDocument,
  SendMessageDocument,
  type ChatMessageFragment,
} from '@voiceassist/typed-operations';
import { Alert, describeError } from '../forms.js';
import { useQuery, useSubscription } from '../hooks.js';
import { Page } from '../page.js';
import { href } from '../routing.js';
import { sessionStore } from '../session.js';
import { Emphasised } from '../text.js';
import { SpeechPlayer, useRecorder } from '../voice.js';

interface Entry {
  message: ChatMessageFragment;
  /** The edge cursor in the conversation (null until the list is fetched again). */
  cursor: string | null;
}

export function ChatPage({ id }: { id: string }) {
  const conversation = useQuery(ConversationDocument, { id, first: 100 });
  const [entries, setEntries] = useState<Entry[]>([]);
  const [draft, setDraft] = useState('');
  const [useKnowledge, setUseKnowledge] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [announcement, setAnnouncement] = useState('');
  const [sending, setSending] = useState(false);
  const recorder = useRecorder();
  /** The reply to a spoken question, read aloud as it streams. */
  const [spokenReply, setSpokenReply] = useState<string | null>(null);
  const [clarification, setClarification] = useState<{ text: string; audio: string } | null>(null);

  useEffect(() => {
    const edges = conversation.data?.conversation?.messages.edges;
    if (edges) setEntries(edges.map((e) => ({ message: e.node, cursor: e.cursor })));
  }, [conversation.data]);

  const replace = (oldId: string, message: ChatMessageFragment) =>
    setEntries((previous) => previous.map((entry) => (entry.message.id === oldId ? { message, cursor: oldId === message.id ? entry.cursor : null } : entry)));

  const streaming = entries.some((e) => e.message.status === 'STREAMING');

  async function send(event: FormEvent) {
    event.preventDefault();
    if (!draft.trim()) return;
    setSending(true);
    setError(null);
    try {
      const { sendMessage } = await sessionStore.execute(SendMessageDocument, { conversationId: id, content: draft, useKnowledge });
      setEntries((previous) => [...previous, { message: sendMessage.userMessage, cursor: null }, { message: sendMessage.assistantMessage, cursor: null }]);
      setDraft('');
    } catch (e) {
      setError(e);
    } finally {
      setSending(false);
    }
  }

  /** The microphone button: the first press records, the second sends the question by voice. */
  async function speak() {
    setError(null);
    try {
      if (!recorder.recording) {
        setClarification(null);
        await recorder.start();
        return;
      }
      setSending(true);
      const audio = await recorder.stop();
      const { askByVoice } = await sessionStore.execute(AskByVoiceDocument, { conversationId: id, audio, useKnowledge });
      if (askByVoice.clarification) {
        const { text, speech } = askByVoice.clarification;
        setClarification({ text, audio: `data:${speech.mimeType};base64,${speech.base64}` });
      } else if (askByVoice.userMessage && askByVoice.assistantMessage) {
        const { userMessage, assistantMessage } = askByVoice;
        setEntries((previous) => [...previous, { message: userMessage, cursor: null }, { message: assistantMessage, cursor: null }]);
        setSpokenReply(assistantMessage.id);
      }
    } catch (e) {
      setError(e);
    } finally {
      setSending(false);
    }
  }

  async function act(action: () => Promise<void>) {
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    }
  }

  function finished(message: ChatMessageFragment) {
    replace(message.id, message);
    setAnnouncement(message.status === 'COMPLETE' ? 'The reply is complete.' : message.status === 'CANCELLED' ? 'The reply was stopped.' : 'The reply failed.');
    // Fetch again for the messages' cursors (read aloud addresses a message by the one before it).
    conversation.reload();
  }

  if (conversation.loading && !conversation.data) return <Page title="Conversation">{<p>Loading the conversation…</p>}</Page>;
  if (conversation.data && !conversation.data.conversation) {
    return (
      <Page title="Conversation not found">
        <p>
          There is no conversation with this id that you own. <a href={href('/conversations')}>Back to conversations</a>.
        </p>
      </Page>
    );
  }
  const info = conversation.data?.conversation;
  const lastAssistant = [...entries].reverse().find((e) => e.message.role === 'ASSISTANT');
  return (
    <Page title={info?.title ?? 'Conversation'}>
      <p>
        <a href={href('/conversations')}>All conversations</a>
        {info?.archived && <strong> · archived: unarchive it to write</strong>}
      </p>
      {conversation.error !== undefined && <Alert>{describeError(conversation.error)}</Alert>}
      <ol className="messages" aria-label="Messages">
        {entries.map((entry, index) => (
          <MessageView
            key={entry.message.id}
            conversationId={id}
            entry={entry}
            previous={index > 0 ? entries[index - 1]! : null}
            isLastReply={entry === lastAssistant}
            onFinished={finished}
            onCancel={() =>
              act(async () => {
                const { cancelGeneration } = await sessionStore.execute(CancelGenerationDocument, { messageId: entry.message.id });
                if (cancelGeneration.status !== 'STREAMING') finished(cancelGeneration);
              })
            }
            onRegenerate={() =>
              act(async () => {
                const { regenerate } = await sessionStore.execute(RegenerateDocument, { messageId: entry.message.id });
                replace(entry.message.id, regenerate);
              })
            }
            onError={setError}
          />
        ))}
      </ol>
      <div role="status" className="visually-hidden">
        {announcement}
      </div>
      {error !== null && <Alert>{describeError(error)}</Alert>}
      <form onSubmit={send} aria-label="Send a message">
        <div className="field">
          <label htmlFor="composer">Message</label>
          <textarea id="composer" rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} />
        </div>
        <div className="field">
          <label>
            <input type="checkbox" checked={useKnowledge} onChange={(e) => setUseKnowledge(e.target.checked)} /> Use the knowledge base
          </label>
        </div>
        <button type="submit" disabled={sending || streaming || !draft.trim()}>
          {streaming ? 'Waiting for the reply…' : 'Send'}
        </button>{' '}
        <button type="button" onClick={() => void speak()} disabled={sending || (streaming && !recorder.recording)} aria-pressed={recorder.recording}>
          {recorder.recording ? 'Stop and send' : 'Ask by voice'}
        </button>
      </form>
      {clarification && (
        <p className="clarification">
          {clarification.text}
          <audio src={clarification.audio} autoPlay />
        </p>
      )}
      {spokenReply && <SpeechPlayer key={spokenReply} messageId={spokenReply} onError={setError} />}
    </Page>
  );
}

interface MessageViewProps {
  conversationId: string;
  entry: Entry;
  previous: Entry | null;
  isLastReply: boolean;
  onFinished(message: ChatMessageFragment): void;
  onCancel(): Promise<void>;
  onRegenerate(): Promise<void>;
  onError(error: unknown): void;
}

function MessageView({ conversationId, entry, previous, isLastReply, onFinished, onCancel, onRegenerate, onError }: MessageViewProps) {
  const { message } = entry;
  const isStreaming = message.status === 'STREAMING';
  const [streamed, setStreamed] = useState('');
  const lastIndex = useRef<number | null>(null);
  const [audio, setAudio] = useState<string | null>(null);
  const [loadingAudio, setLoadingAudio] = useState(false);
  const audioRef = useRef<HTMLAudioElement>(null);

  useSubscription(
    MessageStreamDocument,
    { enabled: isStreaming, key: message.id, variables: () => ({ messageId: message.id, afterIndex: lastIndex.current }) },
    {
      next({ messageStream: event }) {
        if (event.delta) setStreamed((text) => text + event.delta);
        if (!event.done) lastIndex.current = event.index;
        else if (event.message) onFinished(event.message);
      },
      error: onError,
    },
  );

  useEffect(() => {
    if (audio) void audioRef.current?.play().catch(() => undefined);
  }, [audio]);

  async function readAloud() {
    setLoadingAudio(true);
    try {
      const after = previous ? previous.cursor : null;
      if (previous && !after) throw new Error('The conversation is still updating; try again in a moment.');
      const { conversation } = await sessionStore.execute(MessageSpeechDocument, { conversationId, after });
      const node = conversation?.messages.edges[0]?.node;
      if (!node || node.id !== message.id) throw new Error('This message is no longer in the conversation.');
      setAudio(`data:${node.speech.mimeType};base64,${node.speech.base64}`);
    } catch (e) {
      onError(e);
    } finally {
      setLoadingAudio(false);
    }
  }

  const who = message.role === 'USER' ? 'You' : message.role === 'ASSISTANT' ? 'Assistant' : 'System';
  const text = isStreaming ? streamed : message.content;
  return (
    <li className={`message ${message.role.toLowerCase()}`} data-message-id={message.id} data-status={message.status}>
      <h2 className="message-author">
        {who}
        {message.status !== 'COMPLETE' && <small> ({message.status.toLowerCase()})</small>}
      </h2>
      <div className="message-content" aria-busy={isStreaming}>
        {text ? <Emphasised text={text} as="strong" /> : isStreaming ? '…' : ''}
      </div>
      {message.error && (
        <p role="alert">
          {message.error.code}: {message.error.message}
        </p>
      )}
      {message.citations.length > 0 && (
        <section className="citations" aria-label="Sources">
          <h3>Sources</h3>
          <ol>
            {message.citations.map((citation) => (
              <li key={citation.id}>
                <a href={href(`/knowledge/${citation.document.id}`)}>{citation.document.title}</a>: <q>{citation.snippet}</q>
              </li>
            ))}
          </ol>
        </section>
      )}
      {message.role === 'ASSISTANT' && (
        <div className="message-actions">
          {isStreaming && (
            <button type="button" onClick={() => void onCancel()}>
              Stop generating
            </button>
          )}
          {!isStreaming && isLastReply && (
            <button type="button" onClick={() => void onRegenerate()}>
              Regenerate reply
            </button>
          )}{' '}
          {!isStreaming && message.content && (
            <button type="button" onClick={() => void readAloud()} disabled={loadingAudio}>
              {loadingAudio ? 'Preparing audio…' : 'Read aloud'}
            </button>
          )}
          {audio && (
            <audio ref={audioRef} controls src={audio} aria-label="The reply read aloud">
              Your browser cannot play this audio.
            </audio>
          )}
        </div>
      )}
    </li>
  );
}
