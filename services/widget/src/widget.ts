import { describeFailure, WebchatApi, WebchatError } from './api';
import { explainUnavailable, loadConfiguration, type LoadedConfiguration } from './config';
import { REFRESH_MARGIN_MS } from './constants';
import { messageProblem, validatePreEngagement, type PreEngagement } from './form';
import type { Texts } from './i18n';
import { securityHeaders } from './signals';
import { SessionStore, type StoredSession } from './storage';
import { View, type TranscriptEntry } from './view';
import { LiveStream, type LiveEvent } from './live';
import { LiveView } from './live-view';

export interface WebchatOptions {
  deploymentKey: string;
  /** Starship, e.g. https://chat.example.com: the widget's API calls go there. */
  baseUrl: string;
  /** Where the widget's host element goes; default document.body. */
  container?: HTMLElement;
  title?: string;
  subtitle?: string;
  /** A language tag (`es`, `pt-BR`) to use instead of the browser's languages. */
  language?: string;
  /**
   * A JWT the host site's server signed for its signed-in user (docs/identity-proof.md): the guest is
   * that user on every device, and the form is skipped when it names the user.
   */
  identityToken?: string;
}

type Phase = 'form' | 'starting' | 'resuming' | 'chat';

const MAX_TIMER_MS = 2 ** 31 - 1;
const TRANSIENT_KINDS = new Set(['unavailable', 'unreachable', 'offline', 'busy']);
const CONFIG_RETRY_DELAYS_MS = [2000, 5000, 10_000];

/** The widget: a launcher, then the pre-engagement form or the conversation. One per deployment key. */
export class WebchatWidget {
  // Built once the account's configuration has loaded: until then (and on a refused site, for good) nothing shows.
  private view!: View;
  private texts!: Texts;
  private config: LoadedConfiguration | undefined;
  private destroyed = false;
  private openWhenReady = false;
  private readonly store: SessionStore;
  private readonly api: WebchatApi;
  private phase: Phase = 'form';
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private sending = false;
  /** The conversation in the transcript; messages are only ever posted to it. */
  private shownConversation: string | undefined;
  private readonly cleanups: Array<() => void> = [];
  private readonly live: LiveStream;
  private liveView!: LiveView;
  /** Messages on screen, so a replayed or echoed event is never shown twice. */
  private readonly shownSids = new Set<string>();
  /** Shown before their SIDs were known (the welcome and the question): matched to the first replayed events. */
  private pendingLocal: TranscriptEntry[] = [];

  constructor(private readonly options: WebchatOptions) {
    this.store = new SessionStore(options.deploymentKey);
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.api = new WebchatApi(baseUrl, options.deploymentKey);
    this.live = new LiveStream(baseUrl, {
      auth: () => {
        const session = this.store.read();
        if (!session.token || !session.conversationSid || session.conversationSid !== this.shownConversation) return undefined;
        return { token: session.token, conversationSid: session.conversationSid, headers: this.headers(session) };
      },
      onEvent: (event) => this.onLiveEvent(event),
      onState: () => {},
      onRefused: async (code) => {
        if (code === 'conversation_not_found') {
          this.sessionEnded();
          return 'stop';
        }
        try {
          await this.refreshNow();
          return 'retry';
        } catch {
          this.sessionEnded();
          return 'stop';
        }
      },
    });
  }

  /** Loads the account's configuration first; a refused site or key shows nothing and tells the site owner in the console. */
  async mount(): Promise<void> {
    const { title, subtitle, language } = this.options;
    const choice = { ...(title ? { title } : {}), ...(subtitle ? { subtitle } : {}), ...(language ? { language } : {}) };
    // A refusal is final; a slow or briefly unreachable service is asked again a few times before giving up.
    for (let attempt = 0; !this.config; attempt += 1) {
      try {
        this.config = await loadConfiguration(this.api, choice);
      } catch (error) {
        const transient = error instanceof WebchatError && TRANSIENT_KINDS.has(error.kind);
        if (!transient || attempt >= CONFIG_RETRY_DELAYS_MS.length || this.destroyed) {
          console.error(explainUnavailable(error, this.options.deploymentKey));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, CONFIG_RETRY_DELAYS_MS[attempt]));
      }
    }
    if (this.destroyed) return;
    this.texts = this.config.texts;
    this.view = new View(this.texts, this.config.look, this.config.fields);
    this.liveView = new LiveView(this.view.launcher, this.view.transcript.closest('.wc-body'), this.texts);
    this.wire();
    (this.options.container ?? document.body).append(this.view.host);
    if (this.openWhenReady) this.open();
    void this.resume();
  }

  open(): void {
    if (!this.config) {
      this.openWhenReady = true;
      return;
    }
    this.view.setOpen(true);
    this.liveView.read();
    if (this.phase === 'form' && this.options.identityToken) void this.startVerifiedChat();
    this.focusCurrent();
  }

  close(): void {
    this.openWhenReady = false;
    if (this.config) this.view.setOpen(false);
  }

  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.refreshTimer);
    this.live.stop();
    for (const cleanup of this.cleanups) cleanup();
    if (this.config) this.view.host.remove();
  }

  private listen<K extends keyof WindowEventMap>(type: K, handler: (event: WindowEventMap[K]) => void): void {
    window.addEventListener(type, handler);
    this.cleanups.push(() => window.removeEventListener(type, handler));
  }

  private wire(): void {
    const { view } = this;
    view.launcher.addEventListener('click', () => (view.panel.hidden ? this.open() : this.close()));
    view.closeButton.addEventListener('click', () => {
      this.close();
      view.launcher.focus();
    });
    view.panel.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      this.close();
      view.launcher.focus();
    });
    // In a textarea Enter sends (Shift+Enter is a new line), as in every chat; not while an IME is composing.
    const enterSubmits = (textarea: HTMLTextAreaElement, form: HTMLFormElement) =>
      textarea.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    const question = view.fields.get('question')?.input;
    if (question instanceof HTMLTextAreaElement) enterSubmits(question, view.form);
    enterSubmits(view.messageInput, view.composer);
    view.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitForm();
    });
    view.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.sendMessage();
    });
    view.messageInput.addEventListener('input', () => view.setMessageError(undefined));
    this.liveView.startNew.addEventListener('click', () => this.startNewConversation());
    this.listen('online', () => this.live.nudge());
    // Background tabs throttle timers: catch up on the refresh when the guest comes back.
    const onVisible = () => {
      if (document.visibilityState === 'visible' && this.phase === 'chat') this.scheduleRefresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    this.cleanups.push(() => document.removeEventListener('visibilitychange', onVisible));
    // Another tab refreshed, replaced or ended the session: follow it.
    this.listen('storage', (event) => {
      if (event.key !== this.store.key || this.phase !== 'chat') return;
      const session = this.store.read();
      if (!session.token) this.sessionEnded();
      else if (session.conversationSid !== this.shownConversation) void this.resume();
      else this.scheduleRefresh();
    });
  }

  private focusCurrent(): void {
    if (this.view.panel.hidden) return;
    if (this.phase === 'chat') this.view.messageInput.focus();
    else if (this.phase === 'form') ([...this.view.fields.values()].find((f) => f.input.value.trim() === '') ?? this.view.firstField())?.input.focus();
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    if (phase === 'chat' || phase === 'resuming') this.view.showChat();
    else this.view.showForm();
    this.view.submit.disabled = phase === 'starting';
    this.view.submit.textContent = this.texts.t(phase === 'starting' ? 'starting' : 'startChat');
  }

  private headers(session: StoredSession): Record<string, string> {
    return securityHeaders(session.loginTimestamp ?? Date.now());
  }

  /** A stored, unexpired session continues where it was: the history is loaded, no form. */
  private async resume(): Promise<void> {
    const session = this.store.read();
    if (!session.token && !session.conversationSid) return this.setPhase('form');
    const remaining = session.expiresAt ? Date.parse(session.expiresAt) - Date.now() : Number.NaN;
    if (!session.token || !session.conversationSid || !session.loginTimestamp) return this.sessionEnded();
    this.setPhase('resuming');
    this.view.setStatus(this.texts.t('loading'));
    try {
      // Back after the token expired (the next day): the stored token proves it is the same guest.
      if (!(remaining > 5000)) await this.proveReturn(session);
      else if (remaining < REFRESH_MARGIN_MS) await this.refreshNow();
      const current = this.store.read();
      const channel = await this.api.getChannel(this.headers(current), current.token ?? '', session.conversationSid);
      this.enterChat(channel.conversationSid, channel.messages);
    } catch (error) {
      this.failed(error, () => void this.resume());
    }
  }

  private async submitForm(): Promise<void> {
    if (this.phase === 'starting') return;
    const values = this.view.values();
    const invalid = this.view.showFieldErrors(validatePreEngagement(this.config?.fields ?? [], values, this.texts));
    if (invalid) {
      invalid.input.focus();
      return;
    }
    await this.startChat(values);
  }

  /** A new token for the stored guest, proven by its expired token; the conversation stays. */
  private async proveReturn(session: StoredSession): Promise<void> {
    const next = await this.api.token(this.headers(session), { previousToken: session.token ?? '' });
    this.store.update({ token: next.token, identity: next.identity, expiresAt: next.expiresAt });
  }

  /**
   * The first token of a chat: for the signed-in user the page vouches for, else for the guest of the
   * last session (its token as proof, with the login timestamp it was bound with), else a new guest.
   * A proof that no longer holds (too old, another browser) starts a new guest rather than failing.
   */
  private async firstToken(): Promise<{ token: Awaited<ReturnType<WebchatApi['token']>>; loginTimestamp: number }> {
    if (this.options.identityToken) {
      const loginTimestamp = Date.now();
      return { token: await this.api.token(securityHeaders(loginTimestamp), { identityToken: this.options.identityToken }), loginTimestamp };
    }
    const { previousToken, loginTimestamp: previousLogin } = this.store.read();
    if (previousToken && previousLogin) {
      try {
        return { token: await this.api.token(securityHeaders(previousLogin), { previousToken }), loginTimestamp: previousLogin };
      } catch (error) {
        if (!(error instanceof WebchatError) || (error.kind !== 'session' && error.kind !== 'invalid')) throw error;
      }
    }
    const loginTimestamp = Date.now();
    return { token: await this.api.token(securityHeaders(loginTimestamp), {}), loginTimestamp };
  }

  /** A signed-in user's chat starts without the form: the site's server already said who they are. */
  private async startVerifiedChat(): Promise<void> {
    this.setPhase('starting');
    this.view.setStatus(this.texts.t('connecting'));
    try {
      const { token, loginTimestamp } = await this.firstToken();
      const name = token.verifiedGuest?.name;
      if (!name) {
        // Nothing to show instead of the form: the guest fills it in.
        this.store.write({ token: token.token, identity: token.identity, expiresAt: token.expiresAt, loginTimestamp });
        this.setPhase('form');
        this.view.setStatus(undefined);
        return;
      }
      this.store.write({ token: token.token, identity: token.identity, expiresAt: token.expiresAt, loginTimestamp });
      const channel = await this.api.createChannel(securityHeaders(loginTimestamp), token.token, { customerFriendlyName: name });
      this.store.update({ conversationSid: channel.conversationSid });
      this.view.renderTranscript([{ author: 'system', body: channel.welcomeMessage, createdAt: channel.createdAt }]);
      this.shownConversation = channel.conversationSid;
      this.setPhase('chat');
      this.view.setStatus(this.texts.t('signedInAs', { name }));
      this.scheduleRefresh();
      this.focusCurrent();
    } catch (error) {
      this.store.endSession();
      this.setPhase('form');
      this.view.setStatus(describeFailure(error, this.texts), 'error');
    }
  }

  private async startChat(values: PreEngagement): Promise<void> {
    this.setPhase('starting');
    this.view.setStatus(this.texts.t('connecting'));
    const trimmed = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value.trim()]).filter(([, value]) => value !== ''));
    const name = trimmed.name;
    const question = trimmed.question;
    try {
      const { token, loginTimestamp } = await this.firstToken();
      const headers = securityHeaders(loginTimestamp);
      this.store.write({ token: token.token, identity: token.identity, expiresAt: token.expiresAt, loginTimestamp });
      // Every field of the account's form, by name; `friendlyName` too, as the agent desk has always read it.
      const channel = await this.api.createChannel(headers, token.token, {
        ...(name ? { customerFriendlyName: name } : {}),
        preEngagementData: { ...trimmed, ...(name ? { friendlyName: name } : {}) },
      });
      this.store.update({ conversationSid: channel.conversationSid });
      const entries: TranscriptEntry[] = [
        { author: 'system', body: channel.welcomeMessage, createdAt: channel.createdAt },
        ...(question ? [{ author: 'guest' as const, body: question, createdAt: channel.createdAt }] : []),
      ];
      this.view.form.reset();
      this.enterChat(channel.conversationSid, entries);
    } catch (error) {
      // Nothing half-started is kept: no token without its conversation (its token stays as the proof).
      this.store.endSession();
      this.setPhase('form');
      const kind = error instanceof WebchatError ? error.kind : 'unavailable';
      this.view.setStatus(kind === 'session' ? this.texts.t('startFailed') : describeFailure(error, this.texts), 'error');
    }
  }

  private async sendMessage(): Promise<void> {
    if (this.sending) return;
    const text = this.view.messageInput.value;
    const problem = messageProblem(text, this.texts);
    if (problem) {
      this.view.setMessageError(problem);
      this.view.messageInput.focus();
      return;
    }
    const session = this.store.read();
    if (!session.token || !session.conversationSid) return this.sessionEnded();
    // Another tab started a new conversation: show that one rather than post into a transcript not on screen.
    if (session.conversationSid !== this.shownConversation) return void this.resume();
    this.sending = true;
    this.view.send.disabled = true;
    try {
      const message = await this.api.postMessage(this.headers(session), session.token, session.conversationSid, text.trim());
      // The stream may have brought it already (it can be faster than this answer).
      if (!this.shownSids.has(message.messageSid)) {
        this.shownSids.add(message.messageSid);
        this.view.appendMessage(message);
      }
      this.view.messageInput.value = '';
      this.view.setMessageError(undefined);
    } catch (error) {
      if (error instanceof WebchatError && error.kind === 'session') return this.sessionEnded();
      // The text stays in the box, so nothing the guest typed is lost.
      this.view.setMessageError(`${this.texts.t('notSent')} ${describeFailure(error, this.texts)}`);
    } finally {
      this.sending = false;
      this.view.send.disabled = false;
      if (this.phase === 'chat' && !this.view.panel.hidden) this.view.messageInput.focus();
    }
  }

  /** Refreshes a while before expiry; a refused refresh ends the session, a failed one is retried while time is left. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const { expiresAt } = this.store.read();
    const remaining = expiresAt ? Date.parse(expiresAt) - Date.now() : Number.NaN;
    if (!(remaining > 1000)) return this.sessionEnded();
    const delay = remaining > 2 * REFRESH_MARGIN_MS ? remaining - REFRESH_MARGIN_MS : remaining / 2;
    this.refreshTimer = setTimeout(() => {
      this.refreshNow().then(
        () => this.scheduleRefresh(),
        (error: unknown) => {
          if (error instanceof WebchatError && error.kind === 'session') return this.sessionEnded();
          const left = Date.parse(this.store.read().expiresAt ?? '') - Date.now();
          if (!(left > 5000)) return this.sessionEnded();
          clearTimeout(this.refreshTimer);
          this.refreshTimer = setTimeout(() => this.scheduleRefresh(), Math.min(30_000, left / 2));
        },
      );
    }, Math.min(delay, MAX_TIMER_MS));
  }

  private async refreshNow(): Promise<void> {
    const session = this.store.read();
    if (!session.token) throw new WebchatError('session');
    const next = await this.api.refresh(this.headers(session), session.token);
    this.store.update({ token: next.token, identity: next.identity, expiresAt: next.expiresAt });
  }

  /** Refused: back to the form, keeping the token as the proof that the next token is for the same guest. */
  private sessionEnded(): void {
    clearTimeout(this.refreshTimer);
    this.live.stop();
    this.liveView.showEnded(false);
    this.view.composer.hidden = false;
    this.store.endSession();
    this.shownConversation = undefined;
    this.view.renderTranscript([]);
    this.setPhase('form');
    this.view.setStatus(this.texts.t('ended'));
    this.focusCurrent();
  }

  /** The conversation is open (resumed or just started): its transcript, live events and token refresh. */
  private enterChat(conversationSid: string, entries: TranscriptEntry[]): void {
    this.showTranscript(entries);
    this.shownConversation = conversationSid;
    this.view.setStatus(undefined);
    this.setPhase('chat');
    this.goLive();
    this.scheduleRefresh();
    this.focusCurrent();
  }

  private showTranscript(entries: TranscriptEntry[]): void {
    this.shownSids.clear();
    this.pendingLocal = [];
    for (const entry of entries) {
      if (entry.messageSid) this.shownSids.add(entry.messageSid);
      else this.pendingLocal.push(entry);
    }
    this.view.renderTranscript(entries);
  }

  /** The stream starts from the beginning of the conversation: what is on screen already is skipped. */
  private goLive(): void {
    this.liveView.showEnded(false);
    this.view.composer.hidden = false;
    this.live.stop();
    this.live.start();
  }

  private onLiveEvent(event: LiveEvent): void {
    if (event.type === 'conversation.closed') return this.conversationEnded();
    const { messageSid, author, body } = event.data;
    if (event.type !== 'message.created' || !messageSid || !author || typeof body !== 'string' || this.shownSids.has(messageSid)) return;
    this.shownSids.add(messageSid);
    const pending = this.pendingLocal[0];
    if (pending && pending.author === author && pending.body === body) {
      this.pendingLocal.shift();
      return;
    }
    this.pendingLocal = [];
    const entry: TranscriptEntry = { author: author as TranscriptEntry['author'], authorName: event.data.authorName ?? null, body, messageSid, ...(event.data.createdAt ? { createdAt: event.data.createdAt } : {}) };
    this.view.appendMessage(entry);
    if (author !== 'guest') this.liveView.arrived(this.view.authorOf(entry), body, !this.view.panel.hidden, this.view.launcher);
  }

  /** An agent closed it: the transcript stays readable, the composer gives way to "start a new conversation". */
  private conversationEnded(): void {
    this.live.stop();
    this.view.composer.hidden = true;
    this.view.setMessageError(undefined);
    this.liveView.showEnded(true);
  }

  private startNewConversation(): void {
    this.live.stop();
    this.liveView.showEnded(false);
    this.view.composer.hidden = false;
    this.store.update({ conversationSid: undefined });
    this.shownConversation = undefined;
    this.view.renderTranscript([]);
    this.setPhase('form');
    this.view.setStatus(undefined);
    this.focusCurrent();
  }

  private failed(error: unknown, retry: () => void): void {
    if (error instanceof WebchatError && error.kind === 'session') return this.sessionEnded();
    this.view.setStatus(describeFailure(error, this.texts), 'error', { label: this.texts.t('tryAgain'), run: retry });
  }
}
