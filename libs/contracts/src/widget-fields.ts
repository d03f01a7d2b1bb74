/*
 * The pre-engagement form's field definitions and their checks. Deliberately free of zod (and of any
 * import): the widget bundles this file, and the orchestrator validates submitted data with the same
 * function, so a guest sees the same per-field verdict in the browser and from the server.
 */

export const FIELD_TYPES = ['text', 'email', 'textarea', 'select'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface PreEngagementField {
  /** The key in preEngagementData: `name`, `email`, `question` or a custom `[a-z][a-zA-Z0-9_]*`. */
  name: string;
  type: FieldType;
  /** Custom fields must have one; the built-in ones default to the widget's translated label. */
  label?: string;
  required: boolean;
  maxLength: number;
  /** For `select`: the allowed values, shown as they are. */
  options?: string[];
}

export type FieldRule = 'required' | 'too_long' | 'email' | 'option' | 'not_text';
export interface FieldProblem {
  field: string;
  rule: FieldRule;
  /** For too_long: the field's maximum length in characters. */
  limit?: number;
}

export const BUILT_IN_FIELD_NAMES = ['name', 'email', 'question'] as const;
export const MAX_FIELDS = 10;
export const FIELD_MAX_LENGTH = 4000;

export const DEFAULT_FIELDS: readonly PreEngagementField[] = [
  { name: 'name', type: 'text', required: true, maxLength: 256 },
  { name: 'email', type: 'email', required: true, maxLength: 254 },
  { name: 'question', type: 'textarea', required: true, maxLength: 4000 },
];

// Deliberately loose: nobody sends mail from here, it only has to look like an address.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** One problem per invalid field, in field order; an empty list means the data can be sent. */
export function checkPreEngagement(fields: readonly PreEngagementField[], data: Readonly<Record<string, unknown>>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const field of fields) {
    const raw = data[field.name];
    if (raw !== undefined && raw !== null && typeof raw !== 'string') {
      problems.push({ field: field.name, rule: 'not_text' });
      continue;
    }
    const value = (raw ?? '').trim();
    if (value === '') {
      if (field.required) problems.push({ field: field.name, rule: 'required' });
    } else if (value.length > field.maxLength) problems.push({ field: field.name, rule: 'too_long', limit: field.maxLength });
    else if (field.type === 'email' && !EMAIL.test(value)) problems.push({ field: field.name, rule: 'email' });
    else if (field.type === 'select' && !(field.options ?? []).includes(value)) problems.push({ field: field.name, rule: 'option' });
  }
  return problems;
}

/** English wording of a problem, as the API reports it (the widget shows its own translation). */
export function describeFieldProblem(problem: FieldProblem): string {
  switch (problem.rule) {
    case 'required':
      return 'is required';
    case 'too_long':
      return `must be at most ${problem.limit ?? 0} characters`;
    case 'email':
      return 'must be an email address like name@example.com';
    case 'option':
      return 'must be one of the listed options';
    case 'not_text':
      return 'must be a string';
  }
}

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channel = (offset: number) => {
    const c = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** Contrast ratio of white text on `#rrggbb` (1 to 21). The widget puts white text on the brand colour. */
export function contrastWithWhite(hex: string): number {
  return 1.05 / (luminance(hex) + 0.05);
}

/** WCAG AA for normal text. */
export const MIN_BRAND_CONTRAST = 4.5;

/** Languages written right to left, by primary subtag. */
export const RTL_LANGUAGES = ['ar', 'he', 'fa', 'ur', 'ps', 'yi', 'dv', 'ckb'] as const;

/** Every text the widget shows, by key: an account may override any of them per language. */
export const WIDGET_TEXT_KEYS = [
  'title', 'subtitle', 'intro', 'openChat', 'closeChat', 'startChat', 'starting', 'connecting', 'loading',
  'nameLabel', 'emailLabel', 'questionLabel', 'selectPlaceholder', 'messageLabel', 'messagePlaceholder', 'send',
  'conversation', 'startForm', 'composerForm', 'you', 'support', 'nameRequired', 'emailRequired', 'questionRequired',
  'required', 'tooLong', 'email', 'option',
  'messageEmpty', 'messageTooLong', 'notSent', 'notAllowed', 'offline', 'unreachable', 'busy', 'busySeconds', 'busySecond',
  'closed', 'session', 'invalid', 'unavailable', 'ended', 'startFailed', 'tryAgain',
  'signedInAs', 'unreadOne', 'unreadMany', 'conversationEnded', 'startNewConversation',
] as const;
export type WidgetTextKey = (typeof WIDGET_TEXT_KEYS)[number];
/** A field's label in one language: `field.topic`. */
export type FieldTextKey = `field.${string}`;
export const FIELD_TEXT_KEY = /^field\.[a-z][A-Za-z0-9_]{0,39}$/;
export type WidgetTexts = Partial<Record<WidgetTextKey | FieldTextKey, string>>;
