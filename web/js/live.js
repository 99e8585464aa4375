// Live streams over SSE (DESIGN §5): an EventSource that resumes with Last-Event-ID,
// reopened by hand (with ?after=) if the browser gives up, and a page-wide indicator
// that says whether the page is live or reconnecting.

import {streamUrl} from './api.js';

export const EVENT_TYPES = [
  'run.created', 'run.forked', 'step.started', 'step.completed', 'step.failed', 'step.aborted',
  'step.progress', 'run.paused', 'run.resumed', 'run.autorun_started', 'run.autorun_stopped',
  'run.retried', 'run.completed', 'run.failed', 'run.canceled',
];

const listeners = new Set();
let current = 'idle';

// 'idle' (no stream on this page), 'connecting', 'live', 'reconnecting'.
export function connectionState() { return current; }
export function onConnectionChange(fn) { listeners.add(fn); fn(current); return () => listeners.delete(fn); }
function setConnection(state) {
  if (state === current) return;
  current = state;
  for (const fn of listeners) fn(state);
}

export class LiveStream {
  // path: '/v1/runs/{id}/events' or '/v1/events'; global: ids are positions, not versions;
  // after: the last id already seen; onEvent(type, event) for each new event.
  constructor({path, params = {}, global = false, after = 0, onEvent, onReconnected}) {
    this.path = path;
    this.params = params;
    this.global = global;
    this.lastId = after;
    this.onEvent = onEvent;
    this.onReconnected = onReconnected;
    this.es = null;
    this.timer = null;
    this.backoff = 1000;
    this.closed = false;
    this.wasLive = false;
    this.dropped = false;
  }

  start() {
    this.closed = false;
    setConnection('connecting');
    this.open();
    return this;
  }

  open() {
    const es = new EventSource(streamUrl(this.path, {...this.params, after: this.lastId || undefined}));
    this.es = es;
    es.onopen = () => {
      if (this.es !== es) return;
      this.backoff = 1000;
      setConnection('live');
      if (this.dropped && this.onReconnected) this.onReconnected();
      this.dropped = false;
      this.wasLive = true;
    };
    es.onerror = () => {
      if (this.es !== es || this.closed) return;
      this.dropped = this.dropped || this.wasLive;
      setConnection('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a 503 while the daemon was starting): reopen by hand.
        clearTimeout(this.timer);
        this.timer = setTimeout(() => { if (!this.closed) this.open(); }, this.backoff);
        this.backoff = Math.min(this.backoff * 2, 10000);
      }
    };
    const handle = (msg) => {
      if (this.es !== es) return;
      let ev;
      try { ev = JSON.parse(msg.data); } catch { return; }
      const type = msg.type === 'message' ? ev.type : msg.type;
      if (type !== 'step.progress') {
        const id = this.global ? ev.position : ev.version;
        if (typeof id === 'number') {
          if (id <= this.lastId) return;  // already seen (a replay after a reconnect)
          this.lastId = id;
        }
      }
      this.onEvent(type, ev);
    };
    for (const t of EVENT_TYPES) es.addEventListener(t, handle);
    es.addEventListener('message', handle);
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.es) this.es.close();
    this.es = null;
    setConnection('idle');
  }
}
