import type { DeliveryAttempt, WebhookEndpoint, WebhookRepository } from '../data-access/webhook-repository';
import { flag, integerOption, listOption, parse, stringOption, UsageError, type Parsed } from './args';
import { toJson } from './format';

/** What webhook commands need from the CLI: the repository, connected on first use, and the two outputs. */
export interface WebhookCommandContext {
  webhooks(): Promise<WebhookRepository>;
  out(text: string): void;
  note(text: string): void;
}

type WebhookCommand = (argv: string[], context: WebhookCommandContext) => Promise<void>;

const ACCOUNT = { min: 1, max: 1, names: 'the account SID' };
const ENDPOINT = { min: 1, max: 1, names: 'the webhook id (WH...)' };
const JSON_FLAG = { json: { type: 'boolean' } } as const;
const first = (parsed: Parsed) => parsed.positionals[0] ?? '';

/** `--since 2026-12-02T10:00:00Z`, or a duration back from now: `90s`, `15m`, `2h`, `1d`. */
export function parseSince(value: string): Date {
  const relative = /^(\d{1,6})([smhd])$/.exec(value.trim());
  if (relative) {
    const seconds = Number(relative[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - seconds * 1000);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    throw new UsageError(`--since must be an ISO time (2026-12-02T10:00:00Z) or a duration (15m, 2h, 1d), got ${JSON.stringify(value)}`);
  }
  return date;
}

const since = (parsed: Parsed) => {
  const value = stringOption(parsed, 'since');
  return value === undefined ? undefined : parseSince(value);
};

function formatEndpoint(endpoint: WebhookEndpoint): string {
  const state = endpoint.enabled ? 'enabled' : `disabled (${endpoint.disabledReason === 'gone' ? '410 Gone' : 'by operator'})`;
  const overlap = endpoint.previousSecretExpiresAt ? `  previous secret signs until ${endpoint.previousSecretExpiresAt}` : '';
  return `${endpoint.id}  ${state}  ${endpoint.url}\n  events: ${endpoint.events.join(', ')}${overlap}`;
}

function formatAttempt(attempt: DeliveryAttempt): string {
  const status = attempt.statusCode === null ? (attempt.error ?? '-') : String(attempt.statusCode);
  return [attempt.attemptedAt, attempt.endpointId, attempt.eventId, attempt.type.padEnd(20), `#${attempt.attempt}`, status.padEnd(16), `${attempt.latencyMs} ms`.padStart(8), attempt.outcome].join('  ');
}

export const WEBHOOK_COMMANDS: Record<string, WebhookCommand> = {
  async 'webhooks add'(argv, context) {
    const parsed = parse(argv, { url: { type: 'string' }, events: { type: 'string' }, ...JSON_FLAG }, ACCOUNT);
    const url = stringOption(parsed, 'url');
    if (url === undefined) throw new UsageError('missing --url');
    const endpoint = await (await context.webhooks()).addEndpoint({ accountSid: first(parsed), url, events: listOption(parsed, 'events') });
    if (flag(parsed, 'json')) return context.out(toJson(endpoint));
    context.note(`Webhook ${endpoint.id} for ${endpoint.accountSid}: ${endpoint.events.join(', ')} to ${endpoint.url}.`);
    context.note('Its signing secret (Standard Webhooks) is shown once: store it now.');
    context.out(endpoint.secret);
  },

  async 'webhooks list'(argv, context) {
    const parsed = parse(argv, JSON_FLAG, ACCOUNT);
    const endpoints = await (await context.webhooks()).listEndpoints(first(parsed));
    if (flag(parsed, 'json')) context.out(toJson(endpoints));
    else context.out(endpoints.length === 0 ? '(no webhooks)' : endpoints.map(formatEndpoint).join('\n'));
  },

  async 'webhooks remove'(argv, context) {
    const parsed = parse(argv, {}, ENDPOINT);
    await (await context.webhooks()).removeEndpoint(first(parsed));
    context.out(`removed ${first(parsed)}`);
  },

  async 'webhooks rotate-secret'(argv, context) {
    const parsed = parse(argv, { 'overlap-seconds': { type: 'string' }, ...JSON_FLAG }, ENDPOINT);
    const overlap = integerOption(parsed, 'overlap-seconds') ?? 86_400;
    const endpoint = await (await context.webhooks()).rotateSecret(first(parsed), overlap);
    if (flag(parsed, 'json')) return context.out(toJson(endpoint));
    context.note(`New secret for ${endpoint.id}; the previous one also signs until ${endpoint.previousSecretExpiresAt}. Shown once:`);
    context.out(endpoint.secret);
  },

  async 'webhooks disable'(argv, context) {
    const parsed = parse(argv, {}, ENDPOINT);
    await (await context.webhooks()).setEnabled(first(parsed), false);
    context.out(`${first(parsed)} disabled (events are kept; enable sends them)`);
  },

  async 'webhooks enable'(argv, context) {
    const parsed = parse(argv, {}, ENDPOINT);
    await (await context.webhooks()).setEnabled(first(parsed), true);
    context.out(`${first(parsed)} enabled`);
  },

  async 'webhooks deliveries'(argv, context) {
    const parsed = parse(argv, { failed: { type: 'boolean' }, since: { type: 'string' }, ...JSON_FLAG }, ACCOUNT);
    const attempts = await (await context.webhooks()).listAttempts(first(parsed), { failedOnly: flag(parsed, 'failed'), since: since(parsed) });
    if (flag(parsed, 'json')) context.out(toJson(attempts));
    else context.out(attempts.length === 0 ? '(no delivery attempts)' : attempts.map(formatAttempt).join('\n'));
  },

  async 'webhooks replay'(argv, context) {
    const parsed = parse(argv, { since: { type: 'string' } }, { min: 1, max: 1, names: 'an event id (EV...), or an account/conversation SID with --since' });
    const target = first(parsed);
    const from = since(parsed);
    const webhooks = await context.webhooks();
    let queued: number;
    if (target.startsWith('EV')) {
      if (from) throw new UsageError('--since is for replaying an account or conversation, not one event');
      queued = await webhooks.replayEvent(target);
    } else {
      if (!from) throw new UsageError('replaying an account or conversation needs --since');
      queued = await webhooks.replaySince(target, from);
    }
    context.out(`${queued} deliveries queued again (same event ids)`);
  },
};
