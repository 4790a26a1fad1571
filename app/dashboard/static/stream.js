// The `ops` firehose and the `audit` trail, followed with the Washline SDK (/sdk/washline.js) over its SSE
// transport, and the connection state shown in the badge. The SDK reconnects with a jittered
// backoff, resumes from the last event id it handed over, drops duplicates and hands `reset`
// here; this module only adds what the console shows. When the server ends the session
// (`access_revoked`) the SDK stops for good and `onEnded` says so: no reconnect is tried.
//
// States: connecting -> live; on error reconnecting; back with a position -> resumed; told
// the history is gone -> reset (the caller reloads over REST). resumed/reset settle to live.

import { LiveConnection } from '/sdk/washline.js';
import { accessToken, currentSession, ensureFresh, onSessionChange, refresh } from './auth.js';

export const EVENT_TYPES = [
  'order.created', 'order.status', 'washer.position', 'kpi.tick', 'surge.zones', 'audit.entry',
];
const CHANNEL = 'ops';
const AUDIT = 'audit'; // its own SSE stream; the panel backfills over REST, so no resume
const SETTLE_MS = 15_000; // how long "resumed" / "reset" stay up before showing "live"

/** The console's session (auth.js) as the token source the SDK asks for. */
const sessionTokens = {
  get userId() {
    const session = currentSession();
    return session && session.user ? session.user.id : null;
  },
  async accessToken() {
    await ensureFresh();
    const token = accessToken();
    if (!token) throw new Error('signed out');
    return token;
  },
  refresh(stale) {
    return accessToken() === stale ? refresh() : Promise.resolve(currentSession());
  },
  onRefresh(listener) {
    return onSessionChange((session) => {
      if (session) listener(session.accessToken);
    });
  },
};

export function createStream({ beforeReconnect, onEvent, onReset, onState, onEnded }) {
  let live = null;
  let lastSeen = ''; // the position of a stopped connection
  let state = '';
  let settleTimer = 0;
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

  function connection() {
    return new LiveConnection({
      tokens: sessionTokens,
      transport: 'sse', // the console only listens; one EventSource, no socket to keep
      sseEvents: EVENT_TYPES,
      beforeReconnect, // refreshes the token; throws while the server is away
      onEvent(envelope) {
        received += 1;
        receivedByType[envelope.event] = (receivedByType[envelope.event] || 0) + 1;
        onEvent(envelope.event, envelope);
      },
      onReset(channel) {
        if (channel !== CHANNEL) return; // the audit panel keeps what it has
        setState('reset');
        onReset();
      },
      onState(next) {
        if (next !== 'closed' && next !== 'idle') setState(next);
      },
      onEnded(ended) {
        if (live) lastSeen = live.lastEventId(CHANNEL) || lastSeen;
        live = null;
        onEnded(ended);
      },
    });
  }

  return {
    start() {
      const since = this.lastEventId || undefined; // signed in again: carry on from there
      if (live) live.stop();
      live = connection();
      live.start();
      live.subscribe(CHANNEL, { since });
      live.subscribe(AUDIT);
    },
    stop() {
      clearTimeout(settleTimer);
      if (live) {
        lastSeen = live.lastEventId(CHANNEL) || lastSeen;
        live.stop();
      }
      live = null;
    },
    get lastEventId() {
      return (live && live.lastEventId(CHANNEL)) || lastSeen;
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
