import { badUserInput } from '@voiceassist/errors';
import { checkPassword } from './password-policy.js';

// Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is not ours to judge.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string, field: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) throw badUserInput('Enter a valid email address', field);
  return email;
}

/** Throws BAD_USER_INPUT listing every broken rule in `extensions.reasons`. */
export function assertPasswordPolicy(password: string, email: string, field: string, extraReasons: string[] = []): void {
  const reasons = [...checkPassword(password, { email }), ...extraReasons];
  if (reasons.length > 0) throw badUserInput('Password does not meet the policy', field, { reasons });
}

const CONTROL_CHARACTERS = /\p{Cc}/u;

export function validateDisplayName(raw: string, field: string): string {
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0 || name.length > 100 || CONTROL_CHARACTERS.test(name)) {
    throw badUserInput('Display name must be 1 to 100 characters', field);
  }
  return name;
}

export const SETTINGS_MAX_BYTES = 16_384;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON merge patch (RFC 7396): objects merge, null removes a key, anything else replaces. */
export function mergeSettings(current: Record<string, unknown>, patch: unknown, field: string): Record<string, unknown> {
  if (!isPlainObject(patch)) throw badUserInput('Settings must be a JSON object', field);
  const merge = (target: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...target };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete out[key];
      else if (isPlainObject(value)) out[key] = merge(isPlainObject(out[key]) ? out[key] : {}, value);
      else out[key] = value;
    }
    return out;
  };
  const merged = merge(current, patch);
  if (Buffer.byteLength(JSON.stringify(merged)) > SETTINGS_MAX_BYTES) {
    throw badUserInput(`Settings must be at most ${SETTINGS_MAX_BYTES} bytes`, field);
  }
  return merged;
}
