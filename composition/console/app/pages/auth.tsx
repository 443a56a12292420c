import { useState, type FormEvent } from 'react';
import { GraphQLRequestError, LoginDocument, RegisterDocument } from '@voiceassist/typed-operations';
import { Alert, Field, formErrors } from '../forms.js';
import { useSession } from '../hooks.js';
import { Page } from '../page.js';
import { href } from '../routing.js';
import { sessionStore } from '../session.js';

export function LoginPage() {
  const { notice } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const { fields, general } = formErrors(error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { login } = await sessionStore.execute(LoginDocument, { email, password });
      sessionStore.signIn(login);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Sign in">
      {notice && <Alert kind="status">{notice}</Alert>}
      {general && <Alert>{error instanceof GraphQLRequestError && error.code === 'UNAUTHENTICATED' ? 'The email or password is not right.' : general}</Alert>}
      <form onSubmit={submit} noValidate aria-label="Sign in">
        <Field label="Email" name="email" type="email" autoComplete="username" value={email} onChange={setEmail} error={fields.email} required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={setPassword} error={fields.password} required />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        No account yet? <a href={href('/register')}>Create one</a>.
      </p>
    </Page>
  );
}

export function RegisterPage() {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const { fields, general } = formErrors(error);
  const count = Object.keys(fields).length;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { register } = await sessionStore.execute(RegisterDocument, { input: { email, displayName, password } });
      sessionStore.signIn(register);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Create an account">
      {count > 0 && <Alert>{count === 1 ? 'One field needs attention.' : `${count} fields need attention.`}</Alert>}
      {general && <Alert>{general}</Alert>}
      <form onSubmit={submit} noValidate aria-label="Create an account">
        <Field label="Email" name="email" type="email" autoComplete="email" value={email} onChange={setEmail} error={fields.email} required />
        <Field label="Display name" name="displayName" autoComplete="name" value={displayName} onChange={setDisplayName} error={fields.displayName} required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint="At least 12 characters; a few unrelated words work well."
          value={password}
          onChange={setPassword}
          error={fields.password}
          required
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p>
        Already registered? <a href={href('/login')}>Sign in</a>.
      </p>
    </Page>
  );
}
