import { desc, gt, isNull, lt, or } from 'drizzle-orm';
import {
  calculateJwkThumbprint,
  errors as joseErrors,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import type { Database } from '@voiceassist/database';
import { conflict } from '@voiceassist/errors';
import { signingKeys } from './db/schema.js';
import { lockFor, type Transaction } from './db/transaction.js';

export const SIGNING_ALGORITHM = 'EdDSA';

export interface PublicJwk extends JWK {
  kid: string;
}

export interface SigningKeys {
  /** Generates the first key, or installs the one given by env, unless present already. */
  init(): Promise<void>;
  current(): Promise<{ kid: string; privateKey: CryptoKey }>;
  /** Current key plus retired keys whose tokens may still be alive. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** For verifying access tokens in-process, without fetching our own JWKS. */
  resolver: JWTVerifyGetKey;
  /** Signs with a new key from now on; refused when the key comes from env. */
  rotate(): Promise<{ kid: string }>;
}

export interface SigningKeysOptions {
  db: Database;
  /** Retired keys stay published this long: tokens they signed live at most that. */
  accessTokenTtlSeconds: number;
  /** Ed25519 PKCS8 PEM from env, if the operator manages the key. */
  envPrivateKeyPem?: string | undefined;
  now?: () => number;
}

/** Replicas pick up a rotation done elsewhere within this time; an unknown kid reloads at once. */
const CACHE_MS = 30_000;
const RELOAD_COOLDOWN_MS = 1_000;
/** Covers clock skew between replicas and verifiers. */
const PUBLISH_GRACE_SECONDS = 60;

interface KeyMaterial {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: PublicJwk;
}

async function materialFromPrivateKey(privateKey: CryptoKey): Promise<KeyMaterial> {
  const { d: _d, ...publicPart } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicPart);
  return { kid, privateKey, publicJwk: { ...publicPart, kid, alg: SIGNING_ALGORITHM, use: 'sig' } };
}

export async function importSigningKey(pem: string): Promise<KeyMaterial> {
  try {
    // Env files often carry a PEM on one line with literal "\n".
    return await materialFromPrivateKey(await importPKCS8(pem.replace(/\\n/g, '\n').trim(), SIGNING_ALGORITHM, { extractable: true }));
  } catch {
    throw new Error('IDENTITY_SIGNING_KEY must be an Ed25519 private key in PKCS8 PEM form');
  }
}

export async function generateSigningKey(): Promise<KeyMaterial & { pem: string }> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  return { ...(await materialFromPrivateKey(privateKey)), pem: await exportPKCS8(privateKey) };
}

interface Loaded {
  at: number;
  current: { kid: string; privateKey: CryptoKey };
  published: Map<string, { jwk: PublicJwk; key: CryptoKey }>;
}

export function createSigningKeys(options: SigningKeysOptions): SigningKeys {
  const { db } = options;
  const now = options.now ?? Date.now;
  const envKey = options.envPrivateKeyPem ? importSigningKey(options.envPrivateKeyPem) : undefined;
  // Keep an unhandled rejection from surfacing before init() reports it.
  envKey?.catch(() => {});
  let loaded: Promise<Loaded> | undefined;
  let lastReload = 0;
  const publishSeconds = options.accessTokenTtlSeconds + PUBLISH_GRACE_SECONDS;

  async function load(): Promise<Loaded> {
    const publishedSince = new Date(now() - publishSeconds * 1000);
    const rows = await db
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, publishedSince)))
      .orderBy(desc(signingKeys.createdAt));
    const active = rows.find((row) => row.retiredAt === null);
    if (!active) throw new Error('No active signing key: init() has not run');
    const fromEnv = await envKey;
    let privateKey: CryptoKey;
    if (active.privateKey) privateKey = await importPKCS8(active.privateKey, SIGNING_ALGORITHM);
    else if (fromEnv?.kid === active.id) privateKey = fromEnv.privateKey;
    // Another replica installed an env key this one does not have: a misconfiguration to surface.
    else throw new Error(`Signing key ${active.id} is held in IDENTITY_SIGNING_KEY of another instance`);
    const published = new Map<string, { jwk: PublicJwk; key: CryptoKey }>();
    for (const row of rows) {
      const jwk: PublicJwk = { ...row.publicJwk, kid: row.id, alg: SIGNING_ALGORITHM, use: 'sig' };
      published.set(row.id, { jwk, key: (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey });
    }
    return { at: now(), current: { kid: active.id, privateKey }, published };
  }

  function cached(force = false): Promise<Loaded> {
    const stale = (l: Loaded) => now() - l.at > CACHE_MS;
    const reload = () => {
      lastReload = now();
      const next = load();
      // A failed load is not cached; the next call retries.
      next.catch(() => {
        if (loaded === next) loaded = undefined;
      });
      return (loaded = next);
    };
    if (!loaded || force) return reload();
    return loaded.then((l) => (stale(l) ? reload() : l));
  }

  /** Makes `material` the signing key; the previous one stays published but never signs again. */
  async function install(tx: Transaction, material: KeyMaterial, pem: string | null) {
    const at = new Date(now());
    await tx.update(signingKeys).set({ retiredAt: at, privateKey: null }).where(isNull(signingKeys.retiredAt));
    // Keys retired long ago are of no use to anyone.
    await tx.delete(signingKeys).where(lt(signingKeys.retiredAt, new Date(now() - publishSeconds * 2000)));
    await tx
      .insert(signingKeys)
      .values({ id: material.kid, algorithm: SIGNING_ALGORITHM, privateKey: pem, publicJwk: material.publicJwk, createdAt: at })
      .onConflictDoUpdate({ target: signingKeys.id, set: { retiredAt: null, createdAt: at } });
  }

  return {
    async init() {
      const fromEnv = await envKey;
      await db.transaction(async (tx) => {
        await lockFor(tx, 'signing-keys');
        const [active] = await tx.select({ id: signingKeys.id }).from(signingKeys).where(isNull(signingKeys.retiredAt)).orderBy(desc(signingKeys.createdAt)).limit(1);
        if (fromEnv ? active?.id === fromEnv.kid : active) return;
        if (fromEnv) await install(tx, fromEnv, null);
        else {
          const generated = await generateSigningKey();
          await install(tx, generated, generated.pem);
        }
      });
      await cached(true);
    },

    async current() {
      return (await cached()).current;
    },

    async jwks() {
      return { keys: [...(await cached()).published.values()].map((k) => k.jwk) };
    },

    resolver: async (header) => {
      const kid = header.kid;
      if (!kid) throw new joseErrors.JWKSNoMatchingKey();
      let keys = await cached();
      if (!keys.published.has(kid) && now() - lastReload > RELOAD_COOLDOWN_MS) keys = await cached(true);
      const match = keys.published.get(kid);
      if (!match) throw new joseErrors.JWKSNoMatchingKey();
      return match.key;
    },

    async rotate() {
      if (envKey) throw conflict('The signing key is set by IDENTITY_SIGNING_KEY; change it there to rotate');
      const material = await generateSigningKey();
      await db.transaction(async (tx) => {
        await lockFor(tx, 'signing-keys');
        await install(tx, material, material.pem);
      });
      await cached(true);
      return { kid: material.kid };
    },
  };
}
