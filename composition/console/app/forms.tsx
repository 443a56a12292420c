import { useId, type ReactNode } from 'react';
import { GraphQLRequestError, fieldErrors, isDocumentError, retryAfterSeconds, type FieldError } from '@voiceassist/typed-operations';

const REASONS: Record<string, string> = {
  TOO_SHORT: 'Use at least 12 characters.',
  TOO_LONG: 'Use at most 256 characters.',
  COMMON_PASSWORD: 'This password is too common; choose one that is harder to guess.',
  CONTAINS_EMAIL: 'The password must not contain your email name.',
  SAME_AS_CURRENT: 'Choose a password different from the current one.',
};

/** A field error as the sentences shown under the control: the message, then each reason. */
export function fieldErrorText(error: FieldError | undefined): string[] {
  if (!error) return [];
  return [error.message, ...error.reasons.map((reason) => REASONS[reason] ?? reason)];
}

/** One line for a failed operation, with the server's code when it helps. */
export function describeError(error: unknown): string {
  if (error instanceof GraphQLRequestError) {
    const retry = retryAfterSeconds(error);
    if (retry !== undefined) return `Too many requests: try again in ${Math.ceil(retry)} seconds.`;
    if (error.code === 'FORBIDDEN') return `Not allowed: ${error.message}`;
    if (isDocumentError(error)) return `This console does not match the server's API (reload the page): ${error.message}`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Errors of a form: those naming a field, and the rest for the form as a whole. */
export function formErrors(error: unknown): { fields: Record<string, FieldError>; general: string | null } {
  const fields = fieldErrors(error);
  if (!error) return { fields, general: null };
  if (!(error instanceof GraphQLRequestError)) return { fields, general: describeError(error) };
  const unnamed = error.errors.filter((e) => typeof e.extensions?.field !== 'string');
  return { fields, general: unnamed.length > 0 ? describeError(new GraphQLRequestError(unnamed, error.status)) : null };
}

interface FieldProps {
  label: string;
  name: string;
  type?: string;
  value: string;
  onChange(value: string): void;
  error?: FieldError | undefined;
  hint?: string;
  autoComplete?: string;
  required?: boolean;
  multiline?: boolean;
}

/** A labelled input with its hint and errors tied to it (aria-describedby, aria-invalid). */
export function Field({ label, name, type = 'text', value, onChange, error, hint, autoComplete, required, multiline }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const messages = fieldErrorText(error);
  const describedBy = [hint ? hintId : '', messages.length ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name,
    value,
    required,
    'aria-invalid': messages.length > 0 || undefined,
    'aria-describedby': describedBy,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {multiline ? (
        <textarea {...common} rows={4} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input {...common} type={type} autoComplete={autoComplete} onChange={(e) => onChange(e.target.value)} />
      )}
      {messages.length > 0 && (
        <ul id={errorId} className="field-errors" data-field-error={name}>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A message for the whole form or page, announced to screen readers. */
export function Alert({ children, kind = 'error' }: { children: ReactNode; kind?: 'error' | 'status' }) {
  return kind === 'error' ? (
    <div role="alert" className="alert error">
      {children}
    </div>
  ) : (
    <div role="status" className="alert status">
      {children}
    </div>
  );
}
