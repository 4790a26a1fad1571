// Wires the console together: login, initial state over REST, the live stream, rendering.
// Each part lives in its own module; this one only decides what happens when.

import { ApiError, fetchActiveOrders, fetchAllWashers, fetchDashboardConfig, fetchKpis, fetchMe, fetchOrder, fetchRecentAudit, fetchRecentEvents } from './api.js';
import { createAuditPanel } from './audit.js';
import {
  AuthError,
  accessToken,
  awaitingCode,
  cancelSignIn,
  completeSignIn,
  currentSession,
  ensureFresh,
  forgetSession,
  login,
  logout,
  onSessionChange,
} from './auth.js';
import { renderBadge } from './badge.js';
import { createDrilldown } from './drilldown.js';
import { createFeed } from './feed.js';
import { clock } from './format.js';
import { createKpis } from './kpis.js';
import { createMap } from './map.js';
import { createSurge } from './surge.js';
import { createRenderLoop } from './render-loop.js';
import { createStore } from './store.js';
import { createStream } from './stream.js';

const $ = (selector) => document.querySelector(selector);
const DETAIL_CONCURRENCY = 2;
const ENDED_MESSAGES = {
  session_revoked: 'Your session was ended. Please sign in again.',
  password_changed: 'Your password was changed. Please sign in again.',
  account_deactivated: 'This account was deactivated.',
  account_erased: 'This account was erased.',
};
let endedMessage = '';
const CONNECTION_NOTES = {
  reconnecting: 'Connection lost; reconnecting…',
  resumed: 'Reconnected; missed events replayed from the last one received.',
  live: 'Reconnected.',
};

const store = createStore();
const view = {
  login: $('#login-view'),
  console: $('#console'),
  userBox: $('#user-box'),
  userName: $('#user-name'),
  badge: $('#connection-state'),
  lastEvent: $('#last-event'),
};

const surge = createSurge(document, { note: (event, text) => store.note(event, text) });
const map = createMap($('#map'), $('#map-empty'), $('#map-summary'), {
  onSelectOrder: selectOrder,
  onSelectZone: (zone) => surge.select(zone),
  onResize: () => store.invalidate(),
});
const kpis = createKpis($('#kpis'));
const feed = createFeed($('#feed'), $('#feed-count'), {
  onSelectOrder: selectOrder,
  currency: () => store.state.config.currency,
});
const audit = createAuditPanel($('#audit'), $('#audit-count'));
const drilldown = createDrilldown($('#drilldown'), store, { onClose: () => selectOrder(null) });

const loop = createRenderLoop(() => {
  const batch = store.takeDirty();
  map.render(store, batch);
  if (batch.kpis) kpis.render(store.state.kpis, { currency: store.state.config.currency });
  if (batch.surge) surge.render(store.state.surge, { currency: store.state.config.currency });
  feed.render(batch.feedAdded, batch.feedBackfill);
  if (store.state.lastEventAt) view.lastEvent.textContent = `last event ${clock(store.state.lastEventAt)}`;
});
store.onChange(() => loop.request());

// --- orders the stream mentions without a position: fetch them, a couple at a time ---------

const detailQueue = new Set();
let detailWorkers = 0;

function fetchDetails(ids) {
  for (const id of ids) detailQueue.add(id);
  while (detailWorkers < DETAIL_CONCURRENCY && detailQueue.size > 0) {
    detailWorkers += 1;
    (async () => {
      try {
        while (detailQueue.size > 0) {
          const [id] = detailQueue;
          detailQueue.delete(id);
          try {
            store.addOrderDetail((await fetchOrder(id)).order);
          } catch {
            // gone or not visible: it simply stays off the map
          }
        }
      } finally {
        detailWorkers -= 1;
      }
    })();
  }
}

// --- state over REST ------------------------------------------------------------------------

async function loadState({ replace = false } = {}) {
  const [config, snapshot, washers, orders] = await Promise.allSettled([
    fetchDashboardConfig(),
    fetchKpis(),
    fetchAllWashers(),
    fetchActiveOrders(),
  ]);
  if (config.status === 'fulfilled') store.setConfig(config.value);
  if (snapshot.status === 'fulfilled') store.setKpis(snapshot.value);
  if (washers.status === 'fulfilled') store.mergeWashers(washers.value);
  if (orders.status === 'fulfilled') {
    if (replace) store.replaceActiveOrders(orders.value);
    else store.mergeOrders(orders.value);
  }
  for (const [what, result] of [['KPIs', snapshot], ['washers', washers], ['orders', orders]]) {
    if (result.status === 'rejected' && result.reason.status !== 503) {
      store.note('error', `Could not load ${what}: ${result.reason.message || result.reason}`);
    }
  }
}

// --- the stream -----------------------------------------------------------------------------

// Washer positions received (one washer.position event carries a batch of them): the load
// the map is asked to follow, next to the event counts the stream keeps itself.
let positionsReceived = 0;

const stream = createStream({
  beforeReconnect: async () => {
    await ensureFresh();
    await fetchMe(); // fails while the server is away; a refused token ends the session
  },
  onEvent(name, envelope) {
    if (name === 'audit.entry') {
      audit.add(envelope.data);
      return;
    }
    if (name === 'washer.position' && envelope.data && Array.isArray(envelope.data.positions)) {
      positionsReceived += envelope.data.positions.length;
    }
    const unknown = store.applyEnvelope(name, envelope);
    if (unknown.length) fetchDetails(unknown);
    const orderId = envelope.data && envelope.data.order_id;
    if (orderId != null && orderId === store.state.selectedOrderId) drilldown.orderChanged(orderId);
  },
  onReset() {
    store.note('reset', 'Stream history was lost: state reloaded from the server.');
    loadState({ replace: true });
  },
  onState(state) {
    const previous = store.state.connection;
    store.setConnection(state);
    if (CONNECTION_NOTES[state] && (state !== 'live' || previous === 'reconnecting')) {
      store.note('connection', CONNECTION_NOTES[state]);
    }
    renderBadge(view.badge, state);
  },
  onEnded(ended) {
    // The server ended this session (revoked, password changed, account deactivated): its
    // tokens open nothing any more, so sign in again rather than retry.
    endedMessage = ENDED_MESSAGES[ended.reason] || ENDED_MESSAGES.session_revoked;
    forgetSession();
  },
});

// --- selection, login, logout ---------------------------------------------------------------

function selectOrder(orderId) {
  if (orderId === store.state.selectedOrderId) return;
  store.select(orderId);
  if (orderId === null) drilldown.hide();
  else drilldown.show(orderId);
}

let sweepTimer = 0;

async function startConsole() {
  const session = currentSession();
  view.login.hidden = true;
  view.console.hidden = false;
  view.userBox.hidden = false;
  view.badge.hidden = false; // the stream's state means nothing before signing in
  view.userName.textContent = session.user ? session.user.full_name || session.user.email : '';
  try {
    await ensureFresh();
  } catch (error) {
    if (error instanceof AuthError) return; // the session ended: the login form is back
  }
  stream.start();
  clearInterval(sweepTimer);
  sweepTimer = setInterval(() => store.sweep(), 1_000);
  await Promise.all([loadState().then(backfillFeed), backfillAudit()]);
}

/** The audit panel opens with the latest entries; the stream adds the ones after. */
async function backfillAudit() {
  try {
    audit.backfill(await fetchRecentAudit());
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      store.note('error', `Could not load the audit trail: ${error.message || error}`);
    }
  }
}

/** The feed starts with what happened just before the page opened, not empty. The stream
 * is already open, so nothing falls between the two (the store skips what both bring). */
async function backfillFeed() {
  try {
    store.backfillFeed(await fetchRecentEvents());
  } catch (error) {
    store.note('error', `Could not load recent events: ${error.message || error}`);
  }
}

function showLogin(message = '') {
  stream.stop();
  audit.clear();
  clearInterval(sweepTimer);
  view.console.hidden = true;
  view.userBox.hidden = true;
  view.login.hidden = false;
  renderBadge(view.badge, 'connecting');
  view.badge.hidden = true;
  view.lastEvent.textContent = '';
  const error = $('#login-error');
  error.textContent = message;
  error.hidden = !message;
  showCodeRow(false);
  $('#login-email').focus();
}

function showCodeRow(shown) {
  $('#login-code-row').hidden = !shown;
  $('#login-code').value = '';
  if (!shown) cancelSignIn();
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('#login-submit');
  const error = $('#login-error');
  button.disabled = true;
  error.hidden = true;
  try {
    if (awaitingCode()) {
      await completeSignIn($('#login-code').value.trim());
    } else {
      await login($('#login-email').value.trim(), $('#login-password').value);
    }
    $('#login-password').value = '';
    showCodeRow(false);
    await startConsole();
  } catch (failure) {
    const known = failure instanceof AuthError || failure instanceof ApiError;
    error.textContent = known ? failure.message : 'The server cannot be reached. Try again.';
    error.hidden = false;
    if (failure instanceof AuthError && failure.code === 'mfa_required') {
      showCodeRow(true);
      $('#login-code').focus();
    } else if (failure instanceof AuthError && !awaitingCode()) {
      $('#login-code-row').hidden = true;
    }
  } finally {
    button.disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  stream.stop();
  await logout();
});

let signedIn = currentSession() !== null;
onSessionChange((session) => {
  if (!session) {
    if (signedIn) showLogin(endedMessage || 'You have been signed out.');
    endedMessage = '';
    signedIn = false;
    return;
  }
  signedIn = true; // the stream picks the new token up itself (the SDK asks auth.js)
});

// A hook for operators' scripts and the browser tests: read-only by convention.
window.washlineDashboard = {
  store,
  state: store.state,
  get connection() {
    return store.state.connection;
  },
  get lastEventId() {
    return stream.lastEventId;
  },
  /** Render statistics of the batched redraws (see render-loop.js); a fresh copy each read. */
  get renderStats() {
    return loop.stats;
  },
  /** Events received on the stream since the page loaded: { total, byType }. */
  get eventsReceived() {
    return stream.received;
  },
  /** Washer positions those events carried. */
  get positionsReceived() {
    return positionsReceived;
  },
};

const stored = currentSession();
if (stored && stored.user && stored.user.role === 'admin') startConsole();
else showLogin();
