import { h } from './dom';
import type { Texts } from './i18n';

/**
 * What live delivery adds to the widget's view, kept apart from view.ts: the unread badge on the launcher,
 * a polite live region that announces new messages (also while the panel is closed), and the
 * "conversation ended" notice with its button.
 */
export class LiveView {
  readonly badge: HTMLElement;
  readonly announcer: HTMLElement;
  readonly ended: HTMLElement;
  readonly startNew: HTMLButtonElement;
  private unread = 0;

  constructor(
    launcher: HTMLButtonElement,
    private readonly transcriptScroller: Element | null,
    private readonly texts: Texts,
  ) {
    this.badge = h('span', { class: 'wc-badge', hidden: true, 'aria-hidden': 'true' });
    launcher.insertAdjacentElement('afterend', this.badge);
    this.announcer = h('div', { class: 'wc-sr', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    launcher.insertAdjacentElement('afterend', this.announcer);
    this.startNew = h('button', { type: 'button', class: 'wc-primary' }, texts.t('startNewConversation'));
    this.ended = h('div', { class: 'wc-ended', hidden: true, role: 'status' }, h('p', {}, texts.t('conversationEnded')), this.startNew);
    transcriptScroller?.insertAdjacentElement('afterend', this.ended);
    const root = launcher.getRootNode();
    if (root instanceof ShadowRoot) root.append(h('style', {}, LIVE_STYLES));
  }

  /** A message arrived from someone else: announce it; count it while the guest cannot see it. */
  arrived(who: string, body: string, panelOpen: boolean, launcher: HTMLButtonElement): void {
    this.announcer.textContent = `${who}: ${body}`;
    if (panelOpen) return;
    this.unread += 1;
    this.badge.textContent = this.unread > 9 ? '9+' : String(this.unread);
    this.badge.hidden = false;
    launcher.setAttribute('aria-label', this.unread === 1 ? this.texts.t('unreadOne') : this.texts.t('unreadMany', { count: this.unread }));
  }

  read(): void {
    this.unread = 0;
    this.badge.hidden = true;
  }

  showEnded(ended: boolean): void {
    this.ended.hidden = !ended;
    if (!ended) return;
    this.announcer.textContent = this.texts.t('conversationEnded');
    // The notice takes the composer's place and is taller: the last message would slip out of view.
    if (this.transcriptScroller) this.transcriptScroller.scrollTop = this.transcriptScroller.scrollHeight;
  }
}

export const LIVE_STYLES = `
.wc-badge { position: absolute; right: -2px; bottom: 40px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #d70015; color: #fff; font-size: 12px; font-weight: 700; display: grid; place-items: center; pointer-events: none; }
.wc-msg-agent, .wc-msg-bot { align-self: flex-start; background: #e7f6ec; border-bottom-left-radius: 4px; }
.wc-ended { padding: 12px 14px; border-top: 1px solid var(--wc-border); display: grid; gap: 8px; }
.wc-ended p { margin: 0; color: var(--wc-muted); }
`;
