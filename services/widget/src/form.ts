import { checkPreEngagement, type FieldProblem, type PreEngagementField } from '@webchat/contracts/src/widget-fields';
import { MESSAGE_MAX_BYTES } from './constants';
import type { Texts } from './i18n';

export type PreEngagement = Record<string, string>;
export type FieldErrors = Record<string, string>;

export const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

export function messageProblem(text: string, texts: Texts): string | undefined {
  if (text.trim() === '') return texts.t('messageEmpty');
  if (utf8Bytes(text.trim()) > MESSAGE_MAX_BYTES) return texts.t('messageTooLong');
  return undefined;
}

/** The label a field shows: the account's for this language, else the account's, else the translated built-in one. */
export function fieldLabel(field: PreEngagementField, texts: Texts): string {
  const translated = texts.fieldLabel(field.name);
  if (translated) return translated;
  if (field.label) return field.label;
  if (field.name === 'name') return texts.t('nameLabel');
  if (field.name === 'email') return texts.t('emailLabel');
  if (field.name === 'question') return texts.t('questionLabel');
  return field.name;
}

function say(problem: FieldProblem, field: PreEngagementField, texts: Texts): string {
  const label = fieldLabel(field, texts);
  if (problem.rule === 'required') {
    const ownLabel = field.label !== undefined || texts.fieldLabel(field.name) !== undefined;
    if (field.name === 'name' && !ownLabel) return texts.t('nameRequired');
    if (field.name === 'email' && !ownLabel) return texts.t('emailRequired');
    if (field.name === 'question' && !ownLabel) return texts.t('questionRequired');
    return texts.t('required', { field: label });
  }
  if (problem.rule === 'too_long') return texts.t('tooLong', { field: label, max: problem.limit ?? field.maxLength });
  if (problem.rule === 'email') return texts.t('email');
  return texts.t('option', { field: label });
}

/**
 * Field-by-field messages in the guest's language; an empty object means the form can be sent. The rules
 * are the server's own (checkPreEngagement from the contracts); the question also becomes the first
 * message, so it meets the message limit in UTF-8 bytes too.
 */
export function validatePreEngagement(fields: readonly PreEngagementField[], values: PreEngagement, texts: Texts): FieldErrors {
  const errors: FieldErrors = {};
  for (const problem of checkPreEngagement(fields, values)) {
    const field = fields.find((candidate) => candidate.name === problem.field);
    if (field) errors[problem.field] = say(problem, field, texts);
  }
  const question = fields.find((field) => field.name === 'question');
  if (question && errors.question === undefined && utf8Bytes((values.question ?? '').trim()) > MESSAGE_MAX_BYTES) {
    errors.question = texts.t('tooLong', { field: fieldLabel(question, texts), max: question.maxLength });
  }
  return errors;
}
