import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes); the library's default algorithm is argon2id.
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2_OPTIONS);

/** A malformed stored hash counts as a mismatch rather than an error. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * Verifies against a throw-away hash when there is no account, so an unknown email costs as
 * much time as a wrong password and response times do not reveal which emails exist.
 */
export function createTimingDummy(): () => Promise<void> {
  const dummy = hashPassword(randomBytes(24).toString('base64url'));
  return async () => {
    await verifyPassword(await dummy, 'not the password');
  };
}
