import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AccountRepository } from '../data-access/account-repository';
import { InvalidInputError, NotFoundError } from '../data-access/errors';
import { validateWidget } from '../data-access/validation';
import { flag, parse, stringOption, type Parsed } from './args';
import type { CommandContext } from './commands';
import { formatRefusedOrigins, toJson } from './format';

type Command = (argv: string[], context: CommandContext) => Promise<void>;

const SID = { min: 1, max: 1, names: 'the account SID' };
const JSON_FLAG = { json: { type: 'boolean' } } as const;

/** `config set` flags for the widget's look; an empty value clears one (the widget's default applies again). */
export const widgetFlagOptions = {
  'brand-color': { type: 'string' },
  position: { type: 'string' },
  title: { type: 'string' },
  subtitle: { type: 'string' },
} as const;

const FLAG_TO_SETTING = { 'brand-color': 'brandColor', position: 'position', title: 'title', subtitle: 'subtitle' } as const;

/** The account's widget settings with the given flags applied, or undefined when no widget flag was given. */
export async function widgetFromFlags(parsed: Parsed, repository: AccountRepository, sid: string): Promise<Record<string, unknown> | undefined> {
  const changes = Object.entries(FLAG_TO_SETTING).filter(([option]) => stringOption(parsed, option) !== undefined);
  if (changes.length === 0) return undefined;
  const account = await repository.getAccount(sid);
  if (!account) throw new NotFoundError(`account ${sid} does not exist`);
  const widget: Record<string, unknown> = { ...account.widget };
  for (const [option, setting] of changes) {
    const value = (stringOption(parsed, option) ?? '').trim();
    if (value === '') delete widget[setting];
    else widget[setting] = value;
  }
  return widget;
}

/** The file `config import` reads and `config show` prints: the widget settings plus the welcome message. */
async function readConfigFile(file: string): Promise<{ widget: Record<string, unknown>; welcomeMessage?: string }> {
  let text: string;
  try {
    text = await readFile(resolve(file), 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InvalidInputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : String((error as Error).message)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidInputError(`${file} must hold one JSON object`);
  const { welcomeMessage, ...widget } = parsed as Record<string, unknown>;
  if (welcomeMessage !== undefined && typeof welcomeMessage !== 'string') throw new InvalidInputError('welcomeMessage: must be a string');
  // Checked here as a whole, so the operator sees every problem in the file at once, before anything is written.
  validateWidget(widget);
  return { widget, ...(welcomeMessage !== undefined ? { welcomeMessage } : {}) };
}

export const WIDGET_COMMANDS: Record<string, Command> = {
  async 'config import'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, { min: 2, max: 2, names: 'the account SID and the file (config import SID widget.json)' });
    const [sid = '', file = ''] = parsed.positionals;
    const { widget, welcomeMessage } = await readConfigFile(file);
    // The file is the whole widget configuration: settings it leaves out go back to the widget's defaults.
    const account = await (await context.repository()).updateConfiguration(sid, { widget, ...(welcomeMessage !== undefined ? { welcomeMessage } : {}) });
    if (flag(parsed, 'json')) context.out(toJson({ accountSid: account.accountSid, welcomeMessage: account.welcomeMessage, ...account.widget }));
    else context.out(`${account.accountSid}: widget configuration imported from ${file} (${Object.keys(account.widget).join(', ') || 'defaults'})`);
  },

  async 'config show'(argv, context) {
    const parsed = parse(argv, {}, SID);
    const sid = parsed.positionals[0] ?? '';
    const account = await (await context.repository()).getAccount(sid);
    if (!account) throw new NotFoundError(`account ${sid} does not exist`);
    // In the import format: `config show SID > widget.json`, edit, `config import SID widget.json`.
    context.out(toJson({ ...(account.welcomeMessage !== null ? { welcomeMessage: account.welcomeMessage } : {}), ...account.widget }));
  },

  async 'origins refused'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, SID);
    const sid = parsed.positionals[0] ?? '';
    const account = await (await context.repository()).getAccount(sid);
    if (!account) throw new NotFoundError(`account ${sid} does not exist`);
    const refused = await (await context.refusedOrigins()).list(sid);
    context.out(flag(parsed, 'json') ? toJson(refused) : formatRefusedOrigins(account, refused));
  },
};
