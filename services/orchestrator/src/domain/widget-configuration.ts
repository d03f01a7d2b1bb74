import { checkPreEngagement, DEFAULT_FIELDS, describeFieldProblem, type WebchatConfiguration } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { AccountSettings } from './account-types';

/**
 * What the widget may know about its account: the look, the texts and the form, never the security
 * settings (allowed origins, sensitivity) or anything about other keys.
 */
export function publicConfiguration(account: Pick<AccountSettings, 'widget' | 'welcomeMessage'>): WebchatConfiguration {
  const { widget } = account;
  return {
    brandColor: widget.brandColor ?? null,
    position: widget.position ?? 'right',
    title: widget.title ?? null,
    subtitle: widget.subtitle ?? null,
    welcomeMessage: account.welcomeMessage,
    fields: (widget.fields ?? DEFAULT_FIELDS).map((field) => ({ ...field })),
    texts: widget.texts ?? {},
  };
}

/**
 * The account's own field definitions, checked with the function the widget runs before sending. Accounts
 * that never configured a form keep accepting any pre-engagement data (API clients that predate the form).
 */
export function checkConfiguredPreEngagement(account: Pick<AccountSettings, 'widget'>, data: Record<string, unknown> | undefined): void {
  const fields = account.widget.fields;
  if (!fields) return;
  const problems = checkPreEngagement(fields, data ?? {});
  if (problems.length === 0) return;
  const errors = problems.map((problem) => ({ field: `preEngagementData.${problem.field}`, message: describeFieldProblem(problem) }));
  throw new AppError('invalid_request', `The body is not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
}
