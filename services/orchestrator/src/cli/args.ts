import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: one line on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** util.parseArgs with its multi-line messages turned into one line that names the option. */
export function parse(argv: readonly string[], options: Options, positionals: { min: number; max: number; names: string }): Parsed {
  let parsed: Parsed;
  try {
    const result = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    parsed = { values: result.values as Parsed['values'], positionals: result.positionals };
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    const name = /'(-[^' ]+)/.exec(message ?? '')?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${name}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(/does not take/.test(message ?? '') ? `option ${name} does not take a value` : `option ${name} needs a value`);
    }
    throw new UsageError((message ?? String(error)).split('\n')[0] ?? 'invalid arguments');
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError(`missing ${positionals.names}`);
  if (count > positionals.max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}`);
  return parsed;
}

export const stringOption = (parsed: Parsed, name: string): string | undefined => {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
};

export const flag = (parsed: Parsed, name: string): boolean => parsed.values[name] === true;

/** `--ttl 3600`: digits only, so "1e3" or "60s" are named as mistakes instead of being guessed at. */
export function integerOption(parsed: Parsed, name: string): number | undefined {
  const value = stringOption(parsed, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim())) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value.trim());
}

/** `--origins a,b`; an empty value gives an empty list (clears it). */
export const listOption = (parsed: Parsed, name: string): string[] | undefined =>
  stringOption(parsed, name)
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** For nullable settings an empty value means "clear". */
export function nullableOption(parsed: Parsed, name: string): string | null | undefined {
  const value = stringOption(parsed, name);
  return value === undefined ? undefined : value.trim() === '' ? null : value;
}
