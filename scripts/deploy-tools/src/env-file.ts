/**
 * The `.env` dialect Docker Compose reads (compose-go's dotenv), the subset we write and check:
 * - `KEY=value` unquoted: up to the first `#` (compose cuts there, even without a blank before it), trimmed;
 * - `KEY='value'`: literal, nothing expanded (JSON goes here);
 * - `KEY="value"`: `\n`, `\"` and `\\` expanded (multi-line PEM keys go here, one line each).
 */

export interface EnvEntry {
  name: string;
  value: string;
  /** Written above the entry, one `# ` line per line. */
  comment?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLAIN = /^[A-Za-z0-9_./:@%+,=-]*$/;

export function formatEnvValue(value: string): string {
  if (PLAIN.test(value)) return value;
  if (!value.includes('\n') && !value.includes("'")) return `'${value}'`;
  // Compose also interpolates `${...}` inside double quotes: a value that needs them must not hold `$`.
  if (value.includes('$')) throw new Error('a multi-line value with "$" cannot be written to a compose .env file');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function formatEnvFile(entries: EnvEntry[], header = ''): string {
  const lines = header ? header.split('\n').map((line) => (line ? `# ${line}` : '#')) : [];
  for (const { name, value, comment } of entries) {
    if (!NAME.test(name)) throw new Error(`invalid variable name ${JSON.stringify(name)}`);
    if (lines.length > 0) lines.push('');
    if (comment) lines.push(...comment.split('\n').map((line) => `# ${line}`));
    lines.push(`${name}=${formatEnvValue(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function unescapeDoubleQuoted(body: string): string {
  return body.replace(/\\(.)/g, (_all, ch: string) => (ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch === 't' ? '\t' : ch));
}

/** Parses a `.env` file as Compose would; throws on a line it would not accept. */
export function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`.env line ${index + 1} is not NAME=value`);
    const [, name = '', rest = ''] = match;
    let value: string;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) throw new Error(`.env line ${index + 1}: unterminated single quote`);
      value = rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      const end = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!end) throw new Error(`.env line ${index + 1}: unterminated double quote`);
      value = unescapeDoubleQuoted(end[1] ?? '');
    } else {
      value = (rest.split('#')[0] ?? '').trim();
    }
    values.set(name, value);
  });
  return values;
}
