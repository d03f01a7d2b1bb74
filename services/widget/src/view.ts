import type { PreEngagementField } from '@webchat/contracts/src/widget-fields';
import { h, icon, ICONS } from './dom';
import { fieldLabel, type FieldErrors, type PreEngagement } from './form';
import type { Texts } from './i18n';
import { STYLES } from './styles';
import { brandStyle, type WidgetLook } from './theme';

export interface TranscriptEntry {
  author: 'guest' | 'system' | 'agent' | 'bot';
  /** Agents and bots: shown instead of "Support". */
  authorName?: string | null;
  body: string;
  createdAt?: string;
  messageSid?: string;
}

type FieldInput = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
interface Field {
  input: FieldInput;
  error: HTMLElement;
}

const AUTOCOMPLETE: Record<string, string> = { name: 'name', email: 'email' };

function buildInput(field: PreEngagementField, id: string, texts: Texts): FieldInput {
  const common = { id, name: field.name, class: 'wc-input', required: field.required, 'aria-required': String(field.required) };
  if (field.type === 'textarea') return h('textarea', { ...common, rows: 3, maxlength: field.maxLength });
  if (field.type === 'select') {
    return h('select', common, h('option', { value: '' }, texts.t('selectPlaceholder')), ...(field.options ?? []).map((option) => h('option', { value: option }, option)));
  }
  return h('input', { ...common, type: field.type, autocomplete: AUTOCOMPLETE[field.name] ?? 'off', maxlength: field.maxLength });
}

/** The widget's DOM, in its own shadow root. Everything the controller touches is a field here. */
export class View {
  readonly host: HTMLElement;
  readonly launcher: HTMLButtonElement;
  readonly panel: HTMLElement;
  readonly closeButton: HTMLButtonElement;
  readonly status: HTMLElement;
  readonly form: HTMLFormElement;
  readonly fields: Map<string, Field>;
  readonly submit: HTMLButtonElement;
  readonly chat: HTMLElement;
  readonly transcript: HTMLOListElement;
  readonly composer: HTMLFormElement;
  readonly messageInput: HTMLTextAreaElement;
  readonly messageError: HTMLElement;
  readonly send: HTMLButtonElement;
  private readonly root: HTMLElement;

  constructor(
    private readonly texts: Texts,
    look: WidgetLook,
    private readonly definitions: readonly PreEngagementField[],
  ) {
    const { t } = texts;
    this.host = h('div', { 'data-webchat-widget': '' });
    const shadow = this.host.attachShadow({ mode: 'open' });

    this.launcher = h('button', { type: 'button', id: 'wc-launcher', class: 'wc-launcher', 'aria-expanded': 'false', 'aria-controls': 'wc-panel', 'aria-label': t('openChat') }, icon(ICONS.chat));
    this.closeButton = h('button', { type: 'button', class: 'wc-close', 'aria-label': t('closeChat') }, icon(ICONS.close));
    this.status = h('div', { class: 'wc-status', hidden: true });

    this.fields = new Map();
    const rows = definitions.map((definition) => {
      const input = buildInput(definition, `wc-${definition.name}`, texts);
      const error = h('p', { id: `wc-${definition.name}-error`, class: 'wc-field-error', hidden: true });
      input.setAttribute('aria-describedby', error.id);
      this.fields.set(definition.name, { input, error });
      return h('div', { class: 'wc-field' }, h('label', { class: 'wc-label', for: input.id }, fieldLabel(definition, texts)), input, error);
    });
    this.submit = h('button', { type: 'submit', class: 'wc-primary' }, t('startChat'));
    this.form = h('form', { class: 'wc-body wc-form', novalidate: true, 'aria-label': t('startForm') }, h('p', { class: 'wc-intro' }, t('intro')), ...rows, this.submit);

    this.transcript = h('ol', { class: 'wc-transcript' });
    this.messageInput = h('textarea', { id: 'wc-message', class: 'wc-input', rows: 1, 'aria-describedby': 'wc-message-error', placeholder: t('messagePlaceholder') });
    this.messageError = h('p', { id: 'wc-message-error', class: 'wc-field-error wc-composer-error', hidden: true });
    this.send = h('button', { type: 'submit', class: 'wc-send', 'aria-label': t('send') }, icon(ICONS.send));
    this.composer = h('form', { class: 'wc-composer', 'aria-label': t('composerForm') }, h('label', { class: 'wc-sr', for: 'wc-message' }, t('messageLabel')), this.messageInput, this.send);
    this.chat = h('div', { class: 'wc-chat', hidden: true }, h('div', { class: 'wc-body' }, h('div', { role: 'log', 'aria-live': 'polite', 'aria-label': t('conversation') }, this.transcript)), this.messageError, this.composer);

    this.panel = h(
      'section',
      { id: 'wc-panel', class: 'wc-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'wc-title', hidden: true },
      h('header', { class: 'wc-header' }, h('div', { class: 'wc-title', id: 'wc-title' }, t('title'), h('p', { class: 'wc-subtitle' }, t('subtitle'))), this.closeButton),
      this.status,
      this.form,
      this.chat,
    );
    this.root = h('div', { class: `wc wc-${look.position}`, lang: texts.lang, dir: texts.dir }, this.panel, this.launcher);
    shadow.append(h('style', {}, STYLES), h('style', {}, brandStyle(look.brandColor)), this.root);
  }

  setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.root.toggleAttribute('data-open', open);
    this.launcher.setAttribute('aria-expanded', String(open));
    this.launcher.setAttribute('aria-label', this.texts.t(open ? 'closeChat' : 'openChat'));
    this.launcher.replaceChildren(icon(open ? ICONS.close : ICONS.chat));
  }

  showForm(): void {
    this.form.hidden = false;
    this.chat.hidden = true;
  }

  showChat(): void {
    this.form.hidden = true;
    this.chat.hidden = false;
  }

  /** `error` is announced at once (role alert); `info` politely. */
  setStatus(text: string | undefined, tone: 'info' | 'error' = 'info', action?: { label: string; run: () => void }): void {
    this.status.replaceChildren();
    this.status.hidden = text === undefined;
    if (text === undefined) return;
    this.status.dataset.tone = tone;
    this.status.setAttribute('role', tone === 'error' ? 'alert' : 'status');
    this.status.append(text);
    if (action) {
      const button = h('button', { type: 'button', class: 'wc-status-action' }, action.label);
      button.addEventListener('click', action.run);
      this.status.append(button);
    }
  }

  values(): PreEngagement {
    const values: PreEngagement = {};
    for (const [name, field] of this.fields) values[name] = field.input.value;
    return values;
  }

  /** Shows each field's message; returns the first invalid field so focus can go there. */
  showFieldErrors(errors: FieldErrors): Field | undefined {
    let first: Field | undefined;
    for (const definition of this.definitions) {
      const field = this.fields.get(definition.name);
      if (!field) continue;
      const message = errors[definition.name];
      field.error.textContent = message ?? '';
      field.error.hidden = message === undefined;
      field.input.setAttribute('aria-invalid', String(message !== undefined));
      if (message !== undefined) first ??= field;
    }
    return first;
  }

  firstField(): Field | undefined {
    return this.fields.values().next().value;
  }

  setMessageError(text: string | undefined): void {
    this.messageError.textContent = text ?? '';
    this.messageError.hidden = text === undefined;
    this.messageInput.setAttribute('aria-invalid', String(text !== undefined));
  }

  renderTranscript(entries: TranscriptEntry[]): void {
    this.transcript.replaceChildren();
    for (const entry of entries) this.appendMessage(entry);
  }

  /** Who a message is from, in the guest's words: an agent or bot by its name. */
  authorOf(entry: Pick<TranscriptEntry, 'author' | 'authorName'>): string {
    if (entry.author === 'guest') return this.texts.t('you');
    return entry.authorName ?? this.texts.t('support');
  }

  appendMessage(entry: TranscriptEntry): void {
    const time = entry.createdAt ? new Date(entry.createdAt) : undefined;
    const who = this.authorOf(entry);
    // The guest's locale for the time, not the page's: 14:05 in Berlin, 2:05 PM in New York.
    const when = time && !Number.isNaN(time.getTime()) ? h('time', { datetime: time.toISOString() }, time.toLocaleTimeString(this.texts.lang, { hour: '2-digit', minute: '2-digit' })) : null;
    const meta = h('span', { class: 'wc-msg-meta' }, who, when ? ' · ' : null, when);
    this.transcript.append(h('li', { class: `wc-msg wc-msg-${entry.author}`, 'data-author': entry.author }, entry.body, meta));
    // The log wraps the list (role=log on the <ol> itself would orphan its items for screen readers).
    const scroller = this.transcript.closest('.wc-body');
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }
}
