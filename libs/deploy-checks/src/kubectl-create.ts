/**
 * A stand-in for `kubectl create secret generic|configmap … --dry-run=client -o yaml`, so the tests can run
 * deploy/k8s-secrets.sh on a machine without kubectl (that dry run is pure: it builds the object from
 * literals and files and prints it). It prints what kubectl prints and refuses everything else, so it can
 * never pretend to have touched a cluster. A parity test compares it with kubectl where kubectl exists.
 *
 * test/support/fake-kubectl.ts bundles {@link main} into the `kubectl` the script finds first on PATH.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { stringify } from 'yaml';

const KEY = /^[-._a-zA-Z0-9]+$/;

/** The YAML kubectl prints for the given arguments (relative files resolve against `cwd`). */
export function kubectlCreateDryRun(args: string[], cwd = process.cwd()): string {
  const rest = [...args];
  let namespace: string | undefined;
  let dryRun = false;
  let output: string | undefined;
  const positional: string[] = [];
  const sources: { kind: 'literal' | 'file'; value: string }[] = [];
  while (rest.length > 0) {
    const arg = rest.shift()!;
    const [flag, inline] = arg.startsWith('-') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? rest.shift() ?? '';
    if (flag === '--namespace' || flag === '-n') namespace = value();
    else if (flag === '--from-literal') sources.push({ kind: 'literal', value: value() });
    else if (flag === '--from-file') sources.push({ kind: 'file', value: value() });
    else if (flag === '--dry-run') dryRun = value() === 'client';
    else if (flag === '-o' || flag === '--output') output = value();
    else if (flag.startsWith('-')) throw new Error(`unsupported flag ${flag}`);
    else positional.push(arg);
  }
  if (!dryRun || output !== 'yaml') throw new Error('this stand-in only prints objects: pass --dry-run=client -o yaml');
  const [verb, kind, ...names] = positional;
  const secret = verb === 'create' && kind === 'secret' && names[0] === 'generic';
  if (verb !== 'create' || !(secret || kind === 'configmap')) throw new Error(`unsupported command: ${positional.join(' ')}`);
  const name = secret ? names[1] : names[0];
  if (!name || names.length !== (secret ? 2 : 1)) throw new Error('exactly one NAME is required');

  const data: Record<string, string> = {};
  for (const source of sources) {
    const eq = source.value.indexOf('=');
    const [key, value] =
      source.kind === 'literal'
        ? [source.value.slice(0, eq), source.value.slice(eq + 1)]
        : eq < 0
          ? [basename(source.value), readFileSync(resolve(cwd, source.value))]
          : [source.value.slice(0, eq), readFileSync(resolve(cwd, source.value.slice(eq + 1)))];
    if (source.kind === 'literal' && eq <= 0) throw new Error(`invalid literal source ${source.value}, expected key=value`);
    if (!KEY.test(key)) throw new Error(`"${key}" is not a valid key name`);
    if (key in data) throw new Error(`cannot add key ${key}, another key by that name already exists`);
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    if (!secret && !isUtf8(bytes)) throw new Error(`${source.value}: binary data is not supported by this stand-in`);
    data[key] = secret ? bytes.toString('base64') : bytes.toString('utf8');
  }
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)));
  const metadata = { creationTimestamp: null, name, ...(namespace ? { namespace } : {}) };
  return stringify({ apiVersion: 'v1', data: sorted, kind: secret ? 'Secret' : 'ConfigMap', metadata });
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The program: prints like kubectl, or exits 1 with kubectl's `error: ` prefix. */
export function main(argv: string[]): void {
  try {
    process.stdout.write(kubectlCreateDryRun(argv));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
