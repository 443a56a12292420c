import { useRef, useState, type FormEvent } from 'react';
import {
  CreateFlagDocument,
  FeatureFlagsDocument,
  FlagChangesDocument,
  UpdateFlagDocument,
  type AdminFeatureFlagFragment,
  type FlagEvaluationFieldsFragment,
  type FlagVisibility,
} from '@voiceassist/typed-operations';
import { Alert, Field, describeError, formErrors } from '../forms.js';
import { useQuery, useSession, useSubscription } from '../hooks.js';
import { Page, formatTime } from '../page.js';
import { isAdmin, sessionStore } from '../session.js';

export function FlagsPage() {
  const { session } = useSession();
  return (
    <Page title="Feature flags">
      <LiveFlags />
      {isAdmin(session?.user) && <ManageFlags />}
    </Page>
  );
}

/** The flags as they apply to the signed-in user, kept current by `flagChanges`. */
function LiveFlags() {
  const [flags, setFlags] = useState<Record<string, FlagEvaluationFieldsFragment> | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [error, setError] = useState<unknown>(null);
  const version = useRef<number | null>(null);

  useSubscription(
    FlagChangesDocument,
    { enabled: true, key: 'all', variables: () => ({ afterVersion: version.current }) },
    {
      next({ flagChanges: event }) {
        setError(null);
        version.current = Math.max(version.current ?? 0, event.version);
        if (event.kind === 'SNAPSHOT') {
          setFlags(Object.fromEntries((event.flags ?? []).map((f) => [f.key, f])));
        } else if (event.kind === 'UPDATED' && event.evaluation) {
          const evaluation = event.evaluation;
          setFlags((previous) => ({ ...previous, [evaluation.key]: evaluation }));
          setAnnouncement(`${evaluation.key} is now ${evaluation.enabled ? 'on' : 'off'}.`);
        } else if (event.kind === 'DELETED' && event.key) {
          const key = event.key;
          setFlags((previous) => Object.fromEntries(Object.entries(previous ?? {}).filter(([k]) => k !== key)));
          setAnnouncement(`${key} was removed.`);
        }
      },
      error: setError,
    },
  );

  const list = Object.values(flags ?? {}).sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section aria-labelledby="live-flags-heading">
      <h2 id="live-flags-heading">Your flags (live)</h2>
      <div role="status">{announcement}</div>
      {error !== null && <Alert>{describeError(error)}</Alert>}
      {flags === null ? (
        <p>Connecting…</p>
      ) : list.length === 0 ? (
        <p>No flags apply to you.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">State</th>
              <th scope="col">Variant</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {list.map((flag) => (
              <tr key={flag.key} data-flag={flag.key} data-enabled={String(flag.enabled)}>
                <th scope="row">{flag.key}</th>
                <td>{flag.enabled ? 'On' : 'Off'}</td>
                <td>{flag.variant ?? '—'}</td>
                <td>{flag.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const VISIBILITIES: FlagVisibility[] = ['PUBLIC', 'AUTHENTICATED', 'ADMIN', 'INTERNAL'];

function ManageFlags() {
  const flags = useQuery(FeatureFlagsDocument);
  const [status, setStatus] = useState<{ kind: 'status' | 'error'; text: string } | null>(null);
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<FlagVisibility>('AUTHENTICATED');
  const [enabled, setEnabled] = useState(false);
  const [createError, setCreateError] = useState<unknown>(null);
  const { fields, general } = formErrors(createError);

  async function toggle(flag: AdminFeatureFlagFragment) {
    setStatus(null);
    try {
      const { updateFlag } = await sessionStore.execute(UpdateFlagDocument, { key: flag.key, input: { enabled: !flag.enabled, expectedVersion: flag.version } });
      setStatus({ kind: 'status', text: `${updateFlag.key} turned ${updateFlag.enabled ? 'on' : 'off'}.` });
    } catch (error) {
      setStatus({ kind: 'error', text: `Could not change ${flag.key}: ${describeError(error)}` });
    }
    flags.reload();
  }

  async function create(event: FormEvent) {
    event.preventDefault();
    setCreateError(null);
    try {
      const { createFlag } = await sessionStore.execute(CreateFlagDocument, { input: { key, description, visibility, enabled } });
      setStatus({ kind: 'status', text: `${createFlag.key} was created.` });
      setKey('');
      setDescription('');
      flags.reload();
    } catch (error) {
      setCreateError(error);
    }
  }

  return (
    <section aria-labelledby="manage-flags-heading">
      <h2 id="manage-flags-heading">Manage flags</h2>
      {status && <Alert kind={status.kind}>{status.text}</Alert>}
      {flags.error !== undefined && <Alert>{describeError(flags.error)}</Alert>}
      {flags.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">Description</th>
              <th scope="col">Visibility</th>
              <th scope="col">Rollout</th>
              <th scope="col">State</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {flags.data.featureFlags.map((flag) => (
              <tr key={flag.key} data-admin-flag={flag.key}>
                <th scope="row">{flag.key}</th>
                <td>{flag.description}</td>
                <td>{flag.visibility}</td>
                <td>{flag.rolloutPercentage}%</td>
                <td>
                  {flag.enabled ? 'On' : 'Off'}{' '}
                  <button type="button" onClick={() => void toggle(flag)}>
                    Turn {flag.enabled ? 'off' : 'on'} {flag.key}
                  </button>
                </td>
                <td>{formatTime(flag.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>New flag</h3>
      {general && <Alert>{general}</Alert>}
      <form onSubmit={create} aria-label="Create a flag">
        <Field label="Key" name="key" value={key} onChange={setKey} error={fields.key} hint="Lower-case words joined by dots or dashes, e.g. conversation.rag" required />
        <Field label="Description" name="description" value={description} onChange={setDescription} error={fields.description} />
        <div className="field">
          <label htmlFor="flag-visibility">Visibility</label>
          <select id="flag-visibility" value={visibility} onChange={(e) => setVisibility(e.target.value as FlagVisibility)}>
            {VISIBILITIES.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label>
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> On from the start
          </label>
        </div>
        <button type="submit">Create flag</button>
      </form>
    </section>
  );
}
