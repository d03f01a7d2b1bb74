import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readSecretValue } from '@webchat/config';

/** Key ids travel in token headers and name files, so they are kept to a conservative shape. */
export const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface SigningKeyMaterial {
  kid: string;
  /** Absent for a retired key kept only so tokens it signed still validate. */
  privateKey?: KeyObject;
  publicKey: KeyObject;
}

export interface EncryptionKeyMaterial {
  kid: string;
  /** 32 bytes: the A256GCM content key (`alg: dir`). */
  secret: Buffer;
}

export interface TokenKeyMaterial {
  signing: SigningKeyMaterial[];
  activeSigningKid: string;
  encryption: EncryptionKeyMaterial[];
  activeEncryptionKid: string;
}

const KEY_FILE_EXTENSIONS = new Set(['.pem', '.key', '.b64', '.txt']);

/**
 * Reads `kid → value` entries from one of:
 * - inline JSON `{"<kid>": "<value or @/file>"}`;
 * - `@/path/file.json` (or a plain path to a file) holding that JSON;
 * - a directory (`@/dir` or `/dir`, e.g. a mounted Kubernetes Secret): each visible file is one key,
 *   its name without `.pem`/`.key`/`.b64`/`.txt` the kid.
 */
export function readKeyEntries(value: string): Map<string, string> {
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) return entriesFromJson(trimmed);
  const location = trimmed.startsWith('@') ? trimmed.slice(1) : trimmed;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw new Error(`expected inline JSON, a JSON file or a directory; "${location}" does not exist`);
  }
  if (stat.isDirectory()) return entriesFromDirectory(location);
  return entriesFromJson(fs.readFileSync(location, 'utf8'));
}

function entriesFromJson(text: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('is not valid JSON (expected {"<kid>": "<key>", ...})');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('must be a JSON object {"<kid>": "<key>", ...}');
  }
  const entries = new Map<string, string>();
  for (const [kid, raw] of Object.entries(parsed)) {
    if (typeof raw !== 'string') throw new Error(`key "${kid}" must be a string`);
    entries.set(kid, readSecretValue(raw));
  }
  return entries;
}

function entriesFromDirectory(dir: string): Map<string, string> {
  const entries = new Map<string, string>();
  // Kubernetes mounts Secrets with hidden `..data` links beside the visible files; only the visible ones are keys.
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile()) continue;
    const ext = path.extname(name);
    const kid = KEY_FILE_EXTENSIONS.has(ext) ? name.slice(0, -ext.length) : name;
    entries.set(kid, fs.readFileSync(file, 'utf8').trim());
  }
  return entries;
}

function checkKid(kid: string): void {
  if (!KID_PATTERN.test(kid)) throw new Error(`kid "${kid}" must match ${KID_PATTERN.source}`);
}

const isP256 = (key: KeyObject) => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

/** A private key signs and verifies; a public key alone keeps a retired key's tokens valid. */
export function parseSigningKey(kid: string, pem: string): SigningKeyMaterial {
  checkKid(kid);
  let material: SigningKeyMaterial;
  try {
    if (pem.includes('PRIVATE KEY')) {
      const privateKey = crypto.createPrivateKey(pem);
      material = { kid, privateKey, publicKey: crypto.createPublicKey(privateKey) };
    } else {
      material = { kid, publicKey: crypto.createPublicKey(pem) };
    }
  } catch {
    throw new Error(`key "${kid}" is not a PEM EC key`);
  }
  if (!isP256(material.publicKey)) throw new Error(`key "${kid}" must be an EC P-256 key (ES256)`);
  return material;
}

export function parseEncryptionKey(kid: string, encoded: string): EncryptionKeyMaterial {
  checkKid(kid);
  const value = encoded.trim();
  if (!/^[A-Za-z0-9_+/-]+={0,2}$/.test(value)) throw new Error(`key "${kid}" must be base64url`);
  const secret = Buffer.from(value, 'base64');
  if (secret.length !== 32) throw new Error(`key "${kid}" must be 32 bytes (43 base64url characters), got ${secret.length}`);
  return { kid, secret };
}

/** One active kid: named explicitly, or implied when exactly one usable key is configured. */
export function pickActiveKid(kids: string[], active: string | undefined, what = 'keys'): string {
  if (active !== undefined) {
    if (!kids.includes(active)) throw new Error(`"${active}" is not among the configured ${what} (${kids.join(', ') || 'none'})`);
    return active;
  }
  if (kids.length === 1) return kids[0]!;
  throw new Error(`required when ${kids.length} ${what} are configured (${kids.join(', ') || 'none'})`);
}

export const generateSigningKeyPem = (): string =>
  crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

export const generateEncryptionSecret = (): string => crypto.randomBytes(32).toString('base64url');
