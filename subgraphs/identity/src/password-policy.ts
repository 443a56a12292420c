export const PASSWORD_MIN_LENGTH = 12;
/** argon2 cost grows with input; a cap keeps a login request from becoming a CPU sink. */
export const PASSWORD_MAX_LENGTH = 256;

export type PasswordProblem = 'TOO_SHORT' | 'TOO_LONG' | 'COMMON_PASSWORD' | 'CONTAINS_EMAIL';

/**
 * Bases of the most used passwords (from public breach top lists). A password is common when,
 * lower-cased, with digits and symbols around it removed and look-alike characters read as
 * letters, what remains is one of these, a keyboard or alphabet run, or one short unit repeated.
 */
const COMMON_BASES = new Set(
  `password passw0rd passwd pass qwerty qwertz azerty qwertyuiop asdfgh asdfghjkl zxcvbnm letmein welcome
  iloveyou loveyou lovely admin administrator root user login guest test tester master monkey dragon
  football baseball basketball soccer hockey golf superman batman spiderman starwars pokemon princess
  sunshine shadow michael jennifer jordan hunter ranger buster thomas robert charlie daniel andrew
  joshua george michelle jessica ashley nicole anthony matthew summer winter spring autumn flower
  freedom whatever trustno1 trustnoone secret secrets access hello hellothere abc abcd abcdef
  abcdefg abcdefgh iloveu cheese chocolate cookie computer internet google facebook linkedin
  samsung apple microsoft windows linux changeme changeit default mypassword yourpassword
  letmeinnow loveme blink fuckyou fuckoff killer pepper ginger maggie buddy tigger jordan23
  harley hannah mustang corvette ferrari porsche mercedes yankees cowboys steelers eagles
  liverpool arsenal chelsea barcelona juventus madrid money qazwsx qazwsxedc zaq1xsw2 1qaz2wsx
  q1w2e3r4 q1w2e3r4t5 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y passpass welcomeback superstar rockstar
  starlight midnight silver golden diamond angel angels babygirl baby sweetie honey family
  friends forever jesus christ heaven blessed london paris berlin newyork america canada
  england germany france mexico brazil india china russia australia voiceassist clinician doctor
  nurse hospital health medical patient`.split(/\s+/).filter(Boolean),
);

const RUNS = ['abcdefghijklmnopqrstuvwxyz', 'qwertyuiopasdfghjklzxcvbnm', '01234567890123456789', 'qazwsxedcrfvtgbyhnujmikolp'];

const LOOK_ALIKES: Record<string, string> = { '@': 'a', '4': 'a', '8': 'b', '3': 'e', '6': 'g', '1': 'i', '!': 'i', '|': 'l', '0': 'o', '$': 's', '5': 's', '7': 't', '+': 't', '2': 'z' };

const deLeet = (s: string) => [...s].map((c) => LOOK_ALIKES[c] ?? c).join('');

function isRun(core: string): boolean {
  if (core.length < 4) return false;
  return RUNS.some((run) => run.includes(core) || [...run].reverse().join('').includes(core));
}

/** One unit repeated (aaaa…, abcabc…, passwordpassword). */
function repeatedUnit(core: string): string | undefined {
  for (let size = 1; size <= core.length / 2; size++) {
    if (core.length % size === 0 && core.slice(0, size).repeat(core.length / size) === core) return core.slice(0, size);
  }
  return undefined;
}

function isCommonCore(core: string): boolean {
  if (core.length === 0) return false;
  if (COMMON_BASES.has(core) || isRun(core)) return true;
  const unit = repeatedUnit(core);
  return unit !== undefined && (unit.length <= 3 || isCommonCore(unit));
}

export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase().replace(/\s+/g, '');
  const trimmed = lower.replace(/^[^a-z]+|[^a-z]+$/g, '');
  const candidates = new Set([lower, trimmed, deLeet(lower), deLeet(trimmed), trimmed.replace(/[^a-z]/g, '')]);
  // Mostly digits: judge the digits themselves (runs and repeats like 123456789012 or 111111111111).
  if (trimmed.replace(/[^a-z]/g, '').length < 4) candidates.add(lower.replace(/[^0-9]/g, ''));
  return [...candidates].some(isCommonCore);
}

/** The email's local part, its part before "+", and its longer words (john.smith → john, smith). */
function emailFragments(email: string): string[] {
  const local = email.toLowerCase().split('@')[0] ?? '';
  const base = local.split('+')[0] ?? '';
  const words = base.split(/[._+-]+/).filter((w) => w.length >= 4);
  return [...new Set([local, base, base.replace(/[._+-]/g, ''), ...words])].filter((f) => f.length >= 3);
}

/** Every rule the password breaks, so a user fixes them all at once. */
export function checkPassword(password: string, context: { email?: string | undefined } = {}): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push('TOO_SHORT');
  if (length > PASSWORD_MAX_LENGTH) problems.push('TOO_LONG');
  if (isCommonPassword(password)) problems.push('COMMON_PASSWORD');
  if (context.email) {
    const lower = password.toLowerCase();
    if (emailFragments(context.email).some((fragment) => lower.includes(fragment))) problems.push('CONTAINS_EMAIL');
  }
  return problems;
}
