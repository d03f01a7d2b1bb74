/** Lives inside the widget's shadow root: nothing leaks out to the page, and the page's CSS does not leak in. */
export const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
.wc { --wc-text: #1c2333; --wc-muted: #5b6478; --wc-border: #d5dae4;
  --wc-error: #b42318; --wc-bg: #ffffff; --wc-soft: #f1f3f8;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--wc-text);
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex; flex-direction: column; align-items: flex-end; gap: 12px; }
.wc.wc-left { right: auto; left: 20px; align-items: flex-start; }
/* The position is physical (the account chose a screen side); flex alignment is logical, so it flips in RTL. */
.wc[dir="rtl"] { align-items: flex-start; }
.wc.wc-left[dir="rtl"] { align-items: flex-end; }
[hidden] { display: none !important; }
button { font: inherit; cursor: pointer; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.wc-launcher { width: 56px; height: 56px; border-radius: 50%; border: 0; background: var(--wc-primary); color: #fff;
  display: grid; place-items: center; box-shadow: 0 6px 18px rgba(17, 30, 70, .28); transition: transform .15s ease; }
.wc-launcher:hover { background: var(--wc-primary-dark); transform: translateY(-1px); }
.wc-launcher svg { width: 28px; height: 28px; fill: currentColor; }
.wc-launcher[aria-expanded="true"] svg { width: 24px; height: 24px; }
.wc-panel { width: 360px; max-width: calc(100vw - 32px); height: 540px; max-height: calc(100vh - 100px); background: var(--wc-bg);
  border-radius: 14px; box-shadow: 0 12px 40px rgba(17, 30, 70, .25); display: flex; flex-direction: column; overflow: hidden;
  animation: wc-in .16s ease-out; }
@keyframes wc-in { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }
@media (prefers-reduced-motion: reduce) { .wc-panel { animation: none; } .wc-launcher { transition: none; } }
.wc-header { background: var(--wc-primary); color: #fff; padding-block: 14px; padding-inline: 18px 12px; display: flex; align-items: center; gap: 8px; }
.wc-title { margin: 0; font-size: 16px; font-weight: 650; flex: 1; }
.wc-subtitle { margin: 2px 0 0; font-size: 13px; opacity: .85; font-weight: 400; }
.wc-close { border: 0; background: transparent; color: #fff; width: 36px; height: 36px; border-radius: 8px; display: grid; place-items: center; }
.wc-close:hover { background: rgba(255, 255, 255, .16); }
.wc-close svg { width: 20px; height: 20px; fill: currentColor; }
.wc-status { margin: 12px 14px 0; padding: 10px 12px; border-radius: 8px; font-size: 14px; background: var(--wc-soft); }
.wc-status[data-tone="error"] { background: #fdecea; color: var(--wc-error); border: 1px solid #f5c2bd; }
.wc-status-action { display: block; margin-top: 6px; border: 0; background: none; padding: 0; color: inherit; text-decoration: underline; font-weight: 600; }
.wc-body { flex: 1; overflow-y: auto; padding: 16px 18px; }
.wc-chat { display: flex; flex-direction: column; flex: 1; min-height: 0; }
.wc-intro { margin: 0 0 12px; color: var(--wc-muted); }
.wc-field { margin-bottom: 12px; }
.wc-label { display: block; font-weight: 600; font-size: 14px; margin-bottom: 4px; }
.wc-input { width: 100%; font: inherit; color: inherit; padding: 9px 11px; border: 1px solid var(--wc-border); border-radius: 8px; background: #fff; }
.wc-input:focus { border-color: var(--wc-primary); }
textarea.wc-input { resize: vertical; min-height: 72px; }
.wc-input[aria-invalid="true"] { border-color: var(--wc-error); }
.wc-field-error { margin: 4px 0 0; color: var(--wc-error); font-size: 13px; }
.wc-primary { width: 100%; border: 0; border-radius: 8px; padding: 11px 14px; background: var(--wc-primary); color: #fff; font-weight: 600; }
.wc-primary:hover { background: var(--wc-primary-dark); }
.wc-primary:disabled, .wc-send:disabled { opacity: .6; cursor: progress; }
.wc-transcript { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.wc-msg { max-width: 85%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
.wc-msg-system { align-self: flex-start; background: var(--wc-soft); border-end-start-radius: 4px; }
.wc-msg-guest { align-self: flex-end; background: var(--wc-primary); color: #fff; border-end-end-radius: 4px; }
.wc-msg-meta { display: block; font-size: 11px; opacity: .75; margin-top: 2px; }
/* White on the brand colour already sits at the contrast floor (4.5:1): no fading there. */
.wc-msg-guest .wc-msg-meta { opacity: 1; }
.wc-composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid var(--wc-border); align-items: flex-end; }
.wc-composer .wc-input { min-height: 42px; max-height: 120px; resize: none; }
.wc-send { flex: none; width: 42px; height: 42px; border: 0; border-radius: 10px; background: var(--wc-primary); color: #fff; display: grid; place-items: center; }
.wc-send svg { width: 20px; height: 20px; fill: currentColor; }
.wc-composer-error { margin: 0 12px 8px; }
select.wc-input { appearance: auto; }
/* Phones: the panel takes the whole screen (the page behind is not usable at this size anyway), inputs stay
   at 16px so mobile browsers do not zoom in, and the launcher hides while the panel is open. */
@media (max-width: 479.98px) {
  .wc, .wc.wc-left { right: 16px; left: auto; bottom: 16px; }
  .wc.wc-left { left: 16px; right: auto; }
  .wc-panel { position: fixed; inset: 0; width: 100%; max-width: none; height: 100%; max-height: none; border-radius: 0; }
  .wc[data-open] .wc-launcher { display: none; }
  .wc-input { font-size: 16px; }
  .wc-close { width: 44px; height: 44px; }
}
.wc-sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
`;
