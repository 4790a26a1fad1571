// The `ops` firehose over Server-Sent Events, and the connection state shown in the badge.
//
// While the browser reconnects by itself it resends Last-Event-ID. When we have to build a new
// EventSource (a fresh token, or after the browser gave up: HTTP error, server draining) the
// position travels as `&last_event_id=`, so the server resumes from the same place.
//
// States: connecting -> live; on error reconnecting; back with a position -> resumed; told
// the history is gone -> reset (the caller reloads over REST). resumed/reset settle to live.

export const EVENT_TYPES = ['order.created', 'order.status', 'washer.position', 'kpi.tick'];
const STREAM_PATH = '/api/admin/stream';
const SETTLE_MS = 15_000; // how long "resumed" / "reset" stay up before showing "live"
const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 15_000];

export function createStream({ getToken, beforeReconnect, onEvent, onReset, onState }) {
  let source = null;
  let sourceToken = null;
  let lastEventId = '';
  let everOpened = false;
  let state = '';
  let settleTimer = 0;
  let retryTimer = 0;
  let failures = 0;
  let stopped = true;
  // Events handed to onEvent since the page loaded, in all and by type: with the render
  // statistics they tell whether a slow page is drawing too much or receiving too much.
  let received = 0;
  const receivedByType = {};

  function setState(next) {
    clearTimeout(settleTimer);
    if (next === 'resumed' || next === 'reset') {
      settleTimer = setTimeout(() => setState('live'), SETTLE_MS);
    }
    if (next === state) return;
    state = next;
    onState(next);
  }

  function urlFor(token, withPosition) {
    const params = new URLSearchParams({ token });
    if (withPosition && lastEventId) params.set('last_event_id', lastEventId);
    return `${STREAM_PATH}?${params}`;
  }

  function remember(event) {
    // The SSE id field is the stream position; kpi ticks repeat the last one, never advance it.
    if (event.lastEventId) lastEventId = event.lastEventId;
  }

  function handle(event) {
    remember(event);
    let envelope;
    try {
      envelope = JSON.parse(event.data);
    } catch {
      return; // not ours; never let one bad frame stop the stream
    }
    const name = event.type === 'message' ? envelope.event : event.type;
    received += 1;
    receivedByType[name] = (receivedByType[name] || 0) + 1;
    onEvent(name, envelope);
  }

  function handleReset(event) {
    remember(event);
    setState('reset');
    onReset();
  }

  function open() {
    close();
    const token = getToken();
    if (!token) return;
    sourceToken = token;
    source = new EventSource(urlFor(token, everOpened || lastEventId !== ''));
    const current = source;
    current.onopen = () => {
      if (current !== source) return;
      failures = 0;
      setState(everOpened && lastEventId ? 'resumed' : 'live');
      everOpened = true;
    };
    current.onerror = () => {
      if (current !== source) return;
      setState('reconnecting');
      if (current.readyState === EventSource.CLOSED || sourceToken !== getToken()) {
        // The browser gave up (an HTTP error, e.g. an expired token or a draining server), or
        // it would retry with a token we have since replaced: rebuild it ourselves.
        scheduleReopen();
      }
      // Otherwise the browser retries by itself, resending Last-Event-ID.
    };
    for (const type of EVENT_TYPES) current.addEventListener(type, handle);
    current.addEventListener('message', handle);
    current.addEventListener('reset', handleReset);
    current.addEventListener('end', () => {
      // The server ended the stream on purpose: its token expired. We refreshed ahead of
      // expiry, so reopen at once from our position with the new token (else refresh first).
      if (current !== source) return;
      if (sourceToken !== getToken()) open();
      else scheduleReopen();
    });
  }

  function scheduleReopen() {
    close();
    clearTimeout(retryTimer);
    const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
    failures += 1;
    retryTimer = setTimeout(async () => {
      if (stopped) return;
      try {
        await beforeReconnect(); // refreshes the token; throws while the server is away
      } catch {
        if (!stopped) scheduleReopen();
        return;
      }
      if (!stopped) open();
    }, delay * (0.8 + Math.random() * 0.4));
  }

  function close() {
    if (source) {
      source.onopen = null;
      source.onerror = null;
      source.close();
      source = null;
    }
  }

  return {
    start() {
      stopped = false;
      setState('connecting');
      open();
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimeout(settleTimer);
      close();
    },
    /** A new access token: keep a healthy stream until the server ends it at the old token's
     * expiry (the `end` event reopens it); a stream that is reconnecting is rebuilt with the
     * new token at once. */
    tokenChanged() {
      if (!stopped && source && source.readyState !== EventSource.OPEN) open();
    },
    get lastEventId() {
      return lastEventId;
    },
    get state() {
      return state;
    },
    /** A copy of the counts of events received: { total, byType }. */
    get received() {
      return Object.freeze({ total: received, byType: Object.freeze({ ...receivedByType }) });
    },
  };
}
