import { h, icon, ICONS } from './dom';
import { FIELD_NAMES, type FieldErrors, type FieldName, type PreEngagement } from './form';
import { STYLES } from './styles';

export interface TranscriptEntry {
  author: 'guest' | 'system' | 'agent' | 'bot';
  /** Agents and bots: shown instead of "Support". */
  authorName?: string | null;
  body: string;
  createdAt?: string;
  messageSid?: string;
}

/** Who a message is from, in the guest's words. */
export const authorLabel = (entry: Pick<TranscriptEntry, 'author' | 'authorName'>): string =>
  entry.author === 'guest' ? 'You' : (entry.authorName ?? 'Support');

interface Field {
  input: HTMLInputElement | HTMLTextAreaElement;
  error: HTMLElement;
}

const FIELD_SPECS: Record<FieldName, { label: string; build: (id: string) => HTMLInputElement | HTMLTextAreaElement }> = {
  name: { label: 'Name', build: (id) => h('input', { id, name: 'name', type: 'text', autocomplete: 'name', class: 'wc-input', required: true }) },
  email: { label: 'Email', build: (id) => h('input', { id, name: 'email', type: 'email', autocomplete: 'email', class: 'wc-input', required: true }) },
  question: { label: 'How can we help?', build: (id) => h('textarea', { id, name: 'question', rows: 3, class: 'wc-input', required: true }) },
};

/** The widget's DOM, in its own shadow root. Everything the controller touches is a field here. */
export class View {
  readonly host: HTMLElement;
  readonly launcher: HTMLButtonElement;
  readonly panel: HTMLElement;
  readonly closeButton: HTMLButtonElement;
  readonly status: HTMLElement;
  readonly form: HTMLFormElement;
  readonly fields: Record<FieldName, Field>;
  readonly submit: HTMLButtonElement;
  readonly chat: HTMLElement;
  readonly transcript: HTMLOListElement;
  readonly composer: HTMLFormElement;
  readonly messageInput: HTMLTextAreaElement;
  readonly messageError: HTMLElement;
  readonly send: HTMLButtonElement;

  constructor(title: string, subtitle: string) {
    this.host = h('div', { 'data-webchat-widget': '' });
    const root = this.host.attachShadow({ mode: 'open' });

    this.launcher = h('button', { type: 'button', id: 'wc-launcher', class: 'wc-launcher', 'aria-expanded': 'false', 'aria-controls': 'wc-panel', 'aria-label': 'Open chat' }, icon(ICONS.chat));
    this.closeButton = h('button', { type: 'button', class: 'wc-close', 'aria-label': 'Close chat' }, icon(ICONS.close));
    this.status = h('div', { class: 'wc-status', hidden: true });

    const fields = {} as Record<FieldName, Field>;
    const rows = FIELD_NAMES.map((name) => {
      const spec = FIELD_SPECS[name];
      const input = spec.build(`wc-${name}`);
      const error = h('p', { id: `wc-${name}-error`, class: 'wc-field-error', hidden: true });
      input.setAttribute('aria-describedby', error.id);
      fields[name] = { input, error };
      return h('div', { class: 'wc-field' }, h('label', { class: 'wc-label', for: input.id }, spec.label), input, error);
    });
    this.fields = fields;
    this.submit = h('button', { type: 'submit', class: 'wc-primary' }, 'Start chat');
    this.form = h(
      'form',
      { class: 'wc-body wc-form', novalidate: true, 'aria-label': 'Start a chat' },
      h('p', { class: 'wc-intro' }, 'Tell us a little about yourself and we will be right with you.'),
      ...rows,
      this.submit,
    );

    this.transcript = h('ol', { class: 'wc-transcript', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
    this.messageInput = h('textarea', { id: 'wc-message', class: 'wc-input', rows: 1, 'aria-describedby': 'wc-message-error', placeholder: 'Type your message' });
    this.messageError = h('p', { id: 'wc-message-error', class: 'wc-field-error wc-composer-error', hidden: true });
    this.send = h('button', { type: 'submit', class: 'wc-send', 'aria-label': 'Send message' }, icon(ICONS.send));
    this.composer = h('form', { class: 'wc-composer', 'aria-label': 'Send a message' }, h('label', { class: 'wc-sr', for: 'wc-message' }, 'Message'), this.messageInput, this.send);
    this.chat = h('div', { class: 'wc-chat', hidden: true },
      h('div', { class: 'wc-body' }, this.transcript), this.messageError, this.composer);

    this.panel = h(
      'section',
      { id: 'wc-panel', class: 'wc-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'wc-title', hidden: true },
      h('header', { class: 'wc-header' }, h('div', { class: 'wc-title', id: 'wc-title' }, title, h('p', { class: 'wc-subtitle' }, subtitle)), this.closeButton),
      this.status,
      this.form,
      this.chat,
    );
    root.append(h('style', {}, STYLES), h('div', { class: 'wc' }, this.panel, this.launcher));
  }

  setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.launcher.setAttribute('aria-expanded', String(open));
    this.launcher.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
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
    return { name: this.fields.name.input.value, email: this.fields.email.input.value, question: this.fields.question.input.value };
  }

  /** Shows each field's message; returns the first invalid field so focus can go there. */
  showFieldErrors(errors: FieldErrors): Field | undefined {
    let first: Field | undefined;
    for (const name of FIELD_NAMES) {
      const field = this.fields[name];
      const message = errors[name];
      field.error.textContent = message ?? '';
      field.error.hidden = message === undefined;
      field.input.setAttribute('aria-invalid', String(message !== undefined));
      if (message !== undefined) first ??= field;
    }
    return first;
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

  appendMessage(entry: TranscriptEntry): void {
    const time = entry.createdAt ? new Date(entry.createdAt) : undefined;
    const who = authorLabel(entry);
    const meta = h('span', { class: 'wc-msg-meta' }, time && !Number.isNaN(time.getTime()) ? `${who} · ${time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : who);
    this.transcript.append(h('li', { class: `wc-msg wc-msg-${entry.author}`, 'data-author': entry.author }, entry.body, meta));
    const scroller = this.transcript.parentElement;
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }
}
