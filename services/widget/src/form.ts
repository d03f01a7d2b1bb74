import { FRIENDLY_NAME_MAX, MESSAGE_MAX_BYTES } from './constants';

export const FIELD_NAMES = ['name', 'email', 'question'] as const;
export type FieldName = (typeof FIELD_NAMES)[number];
export type PreEngagement = Record<FieldName, string>;
export type FieldErrors = Partial<Record<FieldName, string>>;

// Deliberately loose: the server is not sending mail, it only needs something that looks like an address.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

export function messageProblem(text: string): string | undefined {
  if (text.trim() === '') return 'Type a message first.';
  if (utf8Bytes(text.trim()) > MESSAGE_MAX_BYTES) return 'Your message is too long. Please shorten it or send it in parts.';
  return undefined;
}

/** Field-by-field messages in plain words; an empty object means the form can be sent. */
export function validatePreEngagement(values: PreEngagement): FieldErrors {
  const errors: FieldErrors = {};
  const name = values.name.trim();
  if (name === '') errors.name = 'Enter your name.';
  else if (name.length > FRIENDLY_NAME_MAX) errors.name = `Your name must be ${FRIENDLY_NAME_MAX} characters or fewer.`;
  const email = values.email.trim();
  if (email === '') errors.email = 'Enter your email address.';
  else if (!EMAIL.test(email) || email.length > 254) errors.email = 'Enter an email address like name@example.com.';
  const question = values.question.trim();
  if (question === '') errors.question = 'Tell us how we can help.';
  else if (utf8Bytes(question) > MESSAGE_MAX_BYTES) errors.question = 'Your question is too long. Please shorten it.';
  return errors;
}
