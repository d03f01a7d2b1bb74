import { WebchatWidget, type WebchatOptions } from './widget';

export type { WebchatOptions };

export interface WebchatHandle {
  open(): void;
  close(): void;
  destroy(): void;
}

const widgets = new Map<string, WebchatHandle>();

function checkOptions(options: WebchatOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('Webchat.init needs { deploymentKey, baseUrl }');
  if (typeof options.deploymentKey !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(options.deploymentKey)) {
    throw new TypeError('Webchat.init: deploymentKey must be the deployment key string from your webchat settings');
  }
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new TypeError('Webchat.init: baseUrl must be an absolute URL such as https://chat.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('Webchat.init: baseUrl must be http(s)');
  if (options.language !== undefined && (typeof options.language !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(options.language))) {
    throw new TypeError('Webchat.init: language must be a language tag such as es or pt-BR');
  }
}

/** `Webchat.init({ deploymentKey, baseUrl })`: shows the launcher. Calling it again for the same key returns the same widget. */
export function init(options: WebchatOptions): WebchatHandle {
  checkOptions(options);
  const existing = widgets.get(options.deploymentKey);
  if (existing) return existing;
  const widget = new WebchatWidget(options);
  const handle: WebchatHandle = {
    open: () => widget.open(),
    close: () => widget.close(),
    destroy: () => {
      widget.destroy();
      widgets.delete(options.deploymentKey);
    },
  };
  widgets.set(options.deploymentKey, handle);
  const mount = () => void widget.mount();
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
  return handle;
}

// Replaced by build.ts (esbuild `define`); 'dev' when the source is used unbundled.
declare const __WEBCHAT_VERSION__: string | undefined;
export const version: string = typeof __WEBCHAT_VERSION__ === 'string' ? __WEBCHAT_VERSION__ : 'dev';
