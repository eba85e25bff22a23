// A kernel's live event stream. Without a token the browser's own EventSource reads it. With one (workshop mode) the
// page must send `Authorization: Bearer`, which EventSource cannot; TokenEventSource then reads the same
// text/event-stream with fetch and behaves as EventSource does: the same events, the same readyState values, the
// same reconnects resuming with Last-Event-ID. The token never goes into a URL, so no log or history keeps it.

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
const RECONNECT_MS = 3000; // Chromium's EventSource default, until the server sends retry:

export function openEventStream(url, token) {
  return token ? new TokenEventSource(url, token) : new EventSource(url);
}

class TokenEventSource {
  constructor(url, token) {
    this.url = url;
    this.token = token;
    this.readyState = CONNECTING;
    this.onopen = null;
    this.onerror = null;
    this.lastEventId = '';
    this.retryMs = RECONNECT_MS;
    this.listeners = new Map();
    this.abort = null;
    this.connect();
  }

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  close() {
    this.readyState = CLOSED;
    if (this.abort) this.abort.abort();
  }

  async connect() {
    const abort = new AbortController();
    this.abort = abort;
    const headers = { accept: 'text/event-stream', authorization: 'Bearer ' + this.token };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    let res;
    try {
      res = await fetch(this.url, { headers, signal: abort.signal, cache: 'no-store' });
    } catch {
      return this.lost();
    }
    if (!res.ok || !(res.headers.get('content-type') || '').startsWith('text/event-stream')) {
      // As EventSource does for a refusal (401, 404, 429...): give up; the page decides whether to try again.
      if (this.readyState === CLOSED) return;
      this.readyState = CLOSED;
      if (this.onerror) this.onerror(new Event('error'));
      return;
    }
    if (this.readyState === CLOSED) return;
    this.readyState = OPEN;
    if (this.onopen) this.onopen(new Event('open'));
    try {
      await this.read(res.body.getReader());
    } catch {
      // the connection broke mid-stream: reconnect below
    }
    this.lost();
  }

  lost() {
    if (this.readyState === CLOSED) return;
    this.readyState = CONNECTING;
    if (this.onerror) this.onerror(new Event('error'));
    setTimeout(() => { if (this.readyState !== CLOSED) this.connect(); }, this.retryMs);
  }

  /** text/event-stream, as the HTML standard's "interpret an event stream" reads it. */
  async read(reader) {
    const decoder = new TextDecoder();
    let buffer = '';
    let type = '';
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) this.dispatch(type || 'message', data.join('\n'));
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? '' : line.slice(colon + 1);
        if (v.startsWith(' ')) v = v.slice(1);
        if (field === 'event') type = v;
        else if (field === 'data') data.push(v);
        else if (field === 'id' && !v.includes('\0')) this.lastEventId = v;
        else if (field === 'retry' && /^\d+$/.test(v)) this.retryMs = Number(v);
      }
    }
  }

  dispatch(type, data) {
    if (this.readyState === CLOSED) return;
    const e = new MessageEvent(type, { data, lastEventId: this.lastEventId });
    for (const fn of this.listeners.get(type) || []) fn(e);
  }
}
