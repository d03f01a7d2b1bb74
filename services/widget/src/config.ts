import type { WebchatConfiguration } from '@webchat/contracts';
import { DEFAULT_FIELDS, type PreEngagementField } from '@webchat/contracts/src/widget-fields';
import { WebchatError, type WebchatApi } from './api';
import { createTexts, pickLanguage, type Texts } from './i18n';
import type { WidgetLook } from './theme';

/** Everything the view needs before it shows anything: the account's look, form and words in the guest's language. */
export interface LoadedConfiguration {
  look: WidgetLook;
  fields: readonly PreEngagementField[];
  texts: Texts;
}

export interface LanguageChoice {
  /** `init({ language })`: wins over the browser's languages. */
  language?: string;
  /** `init({ title, subtitle })`: the site's own words, under the account's. */
  title?: string;
  subtitle?: string;
}

export function resolveConfiguration(config: WebchatConfiguration, choice: LanguageChoice, browserLanguages: readonly string[]): LoadedConfiguration {
  const preferred = [...(choice.language ? [choice.language] : []), ...browserLanguages];
  const lang = pickLanguage(preferred, config.texts);
  const defaults = {
    ...(choice.title ? { title: choice.title } : {}),
    ...(choice.subtitle ? { subtitle: choice.subtitle } : {}),
    ...(config.title ? { title: config.title } : {}),
    ...(config.subtitle ? { subtitle: config.subtitle } : {}),
  };
  return {
    look: { brandColor: config.brandColor, position: config.position },
    fields: config.fields.length > 0 ? config.fields : DEFAULT_FIELDS,
    texts: createTexts(lang, config.texts, defaults),
  };
}

/**
 * For the site owner, not the guest (who sees no chat at all): one console line that names the origin
 * and what to change. Only a refusal the owner can fix is said this way; anything else is transient.
 */
export function explainUnavailable(error: unknown, deploymentKey: string): string {
  const origin = window.location.origin;
  const key = `${deploymentKey.slice(0, 12)}…`;
  if (error instanceof WebchatError && error.kind === 'not_allowed') {
    return (
      `Webchat: this website's origin ${origin} is not allowed for deployment key ${key}, so the chat is not shown. ` +
      `Add it to the account's allowed origins (webchat-admin config set ACCOUNT_SID --origins ...,${origin}); ` +
      'webchat-admin origins refused ACCOUNT_SID lists what was refused.'
    );
  }
  if (error instanceof WebchatError && error.kind === 'closed') {
    return `Webchat: deployment key ${key} is not valid (unknown, revoked, or its account is suspended), so the chat is not shown on ${origin}. Use an active key from webchat-admin keys issue ACCOUNT_SID.`;
  }
  const what = error instanceof WebchatError ? error.message : String(error);
  return `Webchat: the chat configuration could not be loaded (${what}), so the chat is not shown on ${origin}. It is tried again on the next page load.`;
}

export async function loadConfiguration(api: WebchatApi, choice: LanguageChoice): Promise<LoadedConfiguration> {
  const config = await api.configuration();
  return resolveConfiguration(config, choice, navigator.languages ?? [navigator.language]);
}
