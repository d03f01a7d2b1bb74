// The agent desk: plain DOM, no build step, same origin as the API (served by Starship under /desk/).
// The agent key lives in sessionStorage (this tab only) and travels only in the Authorization header.
'use strict';

(() => {
  const KEY_ITEM = 'webchat-desk-agent-key';
  const $ = (id) => document.getElementById(id);
  const state = { key: sessionStorage.getItem(KEY_ITEM), status: 'open', selected: null, cursor: null, lastEventId: null, seen: new Set(), stream: null };

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function api(path, init = {}) {
    const response = await fetch(path, { ...init, headers: { ...(init.headers || {}), authorization: `Bearer ${state.key}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
    const body = await response.json().catch(() => null);
    if (response.status === 401) signOut('That key is not valid (or was removed).');
    if (!response.ok) throw Object.assign(new Error((body && body.detail) || `HTTP ${response.status}`), { status: response.status, code: body && body.code });
    return body;
  }

  // Only verifiedGuest (signed by the customer's server) earns the label; what the guest typed never does.
  const verifiedName = (c) => (c.verifiedGuest && (c.verifiedGuest.name || c.verifiedGuest.email)) || null;
  const displayName = (c) => verifiedName(c) || c.customerFriendlyName || (c.preEngagementData && (c.preEngagementData.friendlyName || c.preEngagementData.name)) || `Guest ${c.identity.slice(0, 8)}`;
  const verifiedLabel = () => el('span', { class: 'verified', title: "Signed by your site's server (identity token)" }, 'verified');
  const nameWithLabel = (c) => {
    const name = el('span', { class: 'name' }, displayName(c));
    if (verifiedName(c)) name.append(' ', verifiedLabel());
    return name;
  };
  // Pre-engagement field names as labels: "friendlyName" reads "Friendly name", "email" reads "Email".
  const fieldLabel = (key) => {
    const words = key.replace(/[_-]+/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').trim().toLowerCase();
    return words.charAt(0).toUpperCase() + words.slice(1);
  };
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  // ---- conversation list ----
  async function loadList(append = false) {
    const query = new URLSearchParams({ status: state.status, limit: '30' });
    if (append && state.cursor) query.set('cursor', state.cursor);
    const page = await api(`/v2/Conversations?${query}`);
    const list = $('conversations');
    if (!append) list.replaceChildren();
    for (const c of page.conversations) list.append(listItem(c));
    state.cursor = page.nextCursor;
    $('more').hidden = !page.nextCursor;
  }

  function listItem(c) {
    const item = el('li');
    const button = el('button', { type: 'button', 'data-sid': c.conversationSid, 'aria-current': String(c.conversationSid === state.selected) });
    button.append(nameWithLabel(c));
    if (c.unreadCount > 0 && c.conversationSid !== state.selected) button.append(el('span', { class: 'unread', 'aria-label': `${c.unreadCount} unread` }, String(c.unreadCount)));
    else button.append(el('span'));
    const last = c.lastMessage;
    button.append(el('span', { class: 'preview' }, last ? `${time(last.createdAt)} ${last.authorName || last.author}: ${last.body}` : ''));
    button.addEventListener('click', () => select(c.conversationSid));
    item.append(button);
    return item;
  }

  // At most one re-read per 150 ms, however many events arrive: a burst is absorbed, but a busy account (an event
  // every few ms) still gets its list re-read, which a timer reset by every event would put off for as long as they came.
  let listTimer = null;
  const refreshListSoon = () => {
    if (listTimer) return;
    listTimer = setTimeout(() => {
      listTimer = null;
      loadList().catch(showConnectionError);
    }, 150);
  };

  // ---- one conversation ----
  async function select(sid) {
    state.selected = sid;
    for (const b of document.querySelectorAll('#conversations button')) {
      b.setAttribute('aria-current', String(b.dataset.sid === sid));
      // Opening it reads it (the GET below marks it read for the account): its badge goes now, not at the next re-read.
      if (b.dataset.sid === sid) b.querySelector('.unread')?.replaceWith(el('span'));
    }
    await renderConversation();
    refreshListSoon();
    $('reply-body').focus();
  }

  async function renderConversation() {
    if (!state.selected) return;
    const c = await api(`/v2/Conversations/${state.selected}`);
    $('conversation-title').replaceChildren(nameWithLabel(c), ` · ${c.status}`);
    const details = $('details');
    details.replaceChildren();
    for (const [term, value] of [['Name', c.verifiedGuest && c.verifiedGuest.name], ['Email', c.verifiedGuest && c.verifiedGuest.email]]) {
      if (!value) continue;
      const dd = el('dd', {}, value);
      dd.append(' ', verifiedLabel());
      details.append(el('dt', {}, term), dd);
    }
    const typed = Object.entries(c.preEngagementData || {}).filter(([key, v]) => typeof v === 'string' && !(key === 'friendlyName' && v === (c.preEngagementData || {}).name));
    const facts = [['Started', new Date(c.createdAt).toLocaleString()], ...typed.map(([key, v]) => [fieldLabel(key), v])];
    for (const [term, value] of facts) details.append(el('dt', {}, term), el('dd', {}, value));
    const transcript = $('transcript');
    transcript.replaceChildren();
    for (const m of c.messages) transcript.append(messageItem(m));
    if (c.status === 'closed') transcript.append(el('li', { class: 'event' }, 'Conversation closed'));
    transcript.scrollTop = transcript.scrollHeight;
    $('reply').hidden = c.status !== 'open';
  }

  function messageItem(m) {
    const item = el('li', { class: m.author, 'data-message-sid': m.messageSid });
    const who = m.author === 'guest' ? 'Guest' : m.author === 'system' ? 'Welcome' : m.authorName;
    item.append(el('span', { class: 'author' }, `${who} · ${time(m.createdAt)}`), document.createTextNode(m.body));
    return item;
  }

  // ---- live: the account stream (fetch streaming, so the key goes in a header) ----
  async function listen() {
    for (let attempt = 0; state.key; attempt += 1) {
      const abort = new AbortController();
      state.stream = abort;
      let retryMs = 1000;
      try {
        const headers = { authorization: `Bearer ${state.key}`, accept: 'text/event-stream' };
        if (state.lastEventId) headers['last-event-id'] = state.lastEventId;
        const response = await fetch('/v2/Conversations/Events', { headers, signal: abort.signal, cache: 'no-store' });
        if (response.status === 401) return signOut('That key is not valid (or was removed).');
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        setConnection('Live');
        attempt = 0;
        // Something may have happened while we were away: the list and the open conversation are re-read.
        refreshListSoon();
        if (state.selected) renderConversation().catch(() => {});
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        let revoked = false;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
            const fields = {};
            for (const line of frame.split(/\r?\n/)) {
              const at = line.indexOf(':');
              if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).replace(/^ /, '');
            }
            if (fields.retry) retryMs = Number(fields.retry) || retryMs;
            if (fields.id) state.lastEventId = fields.id;
            if (fields.event === 'revoked') revoked = true;
            else if (fields.data && fields.event !== 'reconnect') onEvent(JSON.parse(fields.data));
          }
        }
        // The key was revoked while the stream was open (its last frame): reconnecting would only be refused.
        if (revoked) return signOut('That key is not valid (or was removed).');
      } catch (err) {
        if (abort.signal.aborted && !state.key) return;
      }
      setConnection('Reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryMs * 2 ** Math.min(attempt, 4), 15000)));
    }
  }

  function onEvent(event) {
    // The account stream is at-least-once across reconnects: an event already applied is skipped.
    if (state.seen.has(event.eventSid)) return;
    state.seen.add(event.eventSid);
    if (event.conversationSid === state.selected) {
      if (event.type === 'message.created' && !document.querySelector(`[data-message-sid="${event.data.messageSid}"]`)) {
        $('transcript').append(messageItem(event.data));
        $('transcript').scrollTop = $('transcript').scrollHeight;
      }
      // Reading it live marks it read for the account (the GET does that) and shows a close at once.
      renderConversation().catch(() => {});
    }
    refreshListSoon();
  }

  // ---- actions ----
  async function sendReply(event) {
    event.preventDefault();
    const box = $('reply-body');
    const body = box.value.trim();
    if (!body || !state.selected) return;
    $('reply-error').textContent = '';
    try {
      await api(`/v2/Conversations/${state.selected}/Messages`, { method: 'POST', body: JSON.stringify({ body }) });
      box.value = '';
    } catch (err) {
      $('reply-error').textContent = err.message;
    }
  }

  async function closeConversation() {
    if (!state.selected) return;
    try {
      await api(`/v2/Conversations/${state.selected}/Close`, { method: 'POST' });
      await renderConversation();
      refreshListSoon();
    } catch (err) {
      $('reply-error').textContent = err.message;
    }
  }

  function setConnection(text) {
    $('connection').textContent = text;
  }
  function showConnectionError(err) {
    setConnection(`Problem: ${err.message}`);
  }

  function signOut(message) {
    state.key = null;
    sessionStorage.removeItem(KEY_ITEM);
    if (state.stream) state.stream.abort();
    $('desk').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = message || '';
    setConnection('');
  }

  async function start() {
    $('sign-in').hidden = true;
    $('desk').hidden = false;
    $('sign-out').hidden = false;
    try {
      await loadList();
    } catch (err) {
      if (state.key) showConnectionError(err);
      return;
    }
    listen();
  }

  $('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('agent-key').value.trim();
    if (!/^wk_[A-Za-z0-9_-]{32}$/.test(key)) {
      $('sign-in-error').textContent = 'An agent key starts with wk_ and has 35 characters.';
      return;
    }
    state.key = key;
    sessionStorage.setItem(KEY_ITEM, key);
    $('agent-key').value = '';
    start();
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('reply').addEventListener('submit', sendReply);
  $('reply-body').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) sendReply(event);
  });
  $('close-conversation').addEventListener('click', closeConversation);
  $('more').addEventListener('click', () => loadList(true).catch(showConnectionError));
  for (const button of document.querySelectorAll('.filters button')) {
    button.addEventListener('click', () => {
      state.status = button.dataset.status;
      for (const b of document.querySelectorAll('.filters button')) b.setAttribute('aria-pressed', String(b === button));
      loadList().catch(showConnectionError);
    });
  }

  if (state.key) start();
  else $('agent-key').focus();
})();
