import { useRef, useState } from 'react';
import { AppendDictationAudioDocument, DictationEventsDocument, FinishDictationDocument, StartDictationDocument } from '@voiceassist/typed-operations';
import { Alert, describeError } from '../forms.js';
import { useSubscription } from '../hooks.js';
import { Page } from '../page.js';
import { sessionStore } from '../session.js';
import { useRecorder } from '../voice.js';

interface Partial {
  chunkIndex: number;
  text: string;
  commands: string[];
}

const SECTION_NAMES: Record<string, string> = { SUBJECTIVE: 'Subjective', OBJECTIVE: 'Objective', ASSESSMENT: 'Assessment', PLAN: 'Plan', NOTE: 'Note' };

/** Live dictation: record chunk after chunk; each one's partial transcript and commands show as it is stored. */
export function DictationPage() {
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [partials, setPartials] = useState<Partial[]>([]);
  const [section, setSection] = useState<string | null>(null);
  const [transcript, setTranscript] = useState('');
  const [note, setNote] = useState<{ text: string; generatedBy: string } | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const lastChunk = useRef<number | null>(null);
  const recorder = useRecorder();

  useSubscription(
    DictationEventsDocument,
    { enabled: sessionId !== null && (status === null || status === 'ACTIVE'), key: sessionId ?? '', variables: () => ({ sessionId: sessionId!, afterChunk: lastChunk.current }) },
    {
      next({ dictationEvents: event }) {
        setStatus(event.status);
        if (event.chunkIndex === null) return;
        lastChunk.current = event.chunkIndex;
        setPartials((previous) => [...previous, { chunkIndex: event.chunkIndex!, text: event.text, commands: event.commands.map((c) => c.command) }]);
        setSection(event.section ?? null);
        setTranscript(event.transcript);
      },
      error: setError,
    },
  );

  async function run(action: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const start = () =>
    run(async () => {
      const { startDictation } = await sessionStore.execute(StartDictationDocument, { kind: 'SOAP' });
      lastChunk.current = null;
      setPartials([]);
      setTranscript('');
      setNote(null);
      setStatus('ACTIVE');
      setSection('SUBJECTIVE');
      setSessionId(startDictation.id);
    });

  const record = () =>
    run(async () => {
      if (!recorder.recording) return recorder.start();
      const audio = await recorder.stop();
      await sessionStore.execute(AppendDictationAudioDocument, { sessionId: sessionId!, audio });
    });

  const finish = () =>
    run(async () => {
      const { finishDictation } = await sessionStore.execute(FinishDictationDocument, { sessionId: sessionId! });
      setNote({ text: finishDictation.text, generatedBy: finishDictation.generatedBy });
      setStatus('FINISHED');
    });

  const active = sessionId !== null && status === 'ACTIVE';
  return (
    <Page title="Dictation">
      <p>Dictate a SOAP note in chunks: press Record, speak, press Stop. Say “next section”, “go to plan”, “new paragraph”, “period”, “undo”, “stop dictation”.</p>
      <p>
        <button type="button" onClick={() => void start()} disabled={busy || recorder.recording}>
          New dictation
        </button>{' '}
        <button type="button" onClick={() => void record()} disabled={!active || (busy && !recorder.recording)} aria-pressed={recorder.recording}>
          {recorder.recording ? 'Stop recording' : 'Record a chunk'}
        </button>{' '}
        <button type="button" onClick={() => void finish()} disabled={!active || busy || recorder.recording}>
          Finish
        </button>
      </p>
      {error !== null && <Alert>{describeError(error)}</Alert>}
      {sessionId && (
        <section aria-label="Live dictation" data-dictation-status={status ?? ''} data-chunks={partials.length}>
          <p>
            Status: {status?.toLowerCase()} {section && active && <>· writing {SECTION_NAMES[section] ?? section}</>}
          </p>
          <ol aria-label="Chunks">
            {partials.map((p) => (
              <li key={p.chunkIndex}>
                {p.text || <em>(commands only)</em>}
                {p.commands.length > 0 && <small> · {p.commands.join(', ').toLowerCase().replaceAll('_', ' ')}</small>}
              </li>
            ))}
          </ol>
          <h2>The note so far</h2>
          <pre className="dictation-transcript">{note ? note.text : transcript}</pre>
        </section>
      )}
    </Page>
  );
}
