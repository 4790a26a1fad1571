// The dashboard's state: washers, orders, KPIs, the event feed, the selected order and its
// track. Events and REST results are merged here; renderers read the state and the dirty
// marks, never the network. Order updates are ordered by the order's `seq` (a replayed or
// repeated event never moves an order backwards), washer positions by their fix time.

export const TERMINAL = new Set(['completed', 'cancelled', 'no_show']);
const WITH_WASHER = new Set(['assigned', 'en_route', 'arrived', 'in_progress']);
const TERMINAL_LINGER_MS = 60_000; // a finished order stays on the map this long
const FEED_CAP = 200;
const TRACK_CAP = 2_000;
const DEFAULT_STALE_AFTER_S = 60;

const number = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const time = (value) => {
  const parsed = value ? Date.parse(value) : NaN;
  return Number.isNaN(parsed) ? null : parsed;
};

export function createStore() {
  const state = {
    washers: new Map(),
    orders: new Map(),
    washerOrder: new Map(), // washer id -> its active order id
    kpis: null,
    config: { area: null, staleAfterSeconds: DEFAULT_STALE_AFTER_S, currency: null },
    feed: [],
    selectedOrderId: null,
    track: [],
    connection: 'connecting',
    connectionHistory: [],
    lastEventAt: null,
    serverOffsetMs: 0, // server clock minus ours, from KPI snapshots
    surge: null, // the newest surge.zones: every active zone and the surge tiles
  };
  const dirty = {
    washers: new Set(),
    orders: new Set(),
    all: true,
    kpis: false,
    feedAdded: [],
    feedBackfill: [],
    feedReset: false,
    selection: false,
    track: false,
    connection: false,
    surge: false,
  };
  const feedKeys = new Set();
  let onChange = () => {};

  const changed = () => onChange();

  function serverNow() {
    return Date.now() + state.serverOffsetMs;
  }

  // --- washers -------------------------------------------------------------------------

  function washer(id) {
    let entry = state.washers.get(id);
    if (!entry) {
      entry = {
        id,
        name: `Washer ${id}`,
        lat: null,
        lng: null,
        heading: null,
        speed: null,
        fixAt: null,
        seenAt: null,
        orderId: null,
        eta: null,
        available: null,
        stale: true,
      };
      state.washers.set(id, entry);
    }
    return entry;
  }

  function isStale(entry, now) {
    if (entry.lat === null || entry.seenAt === null) return true;
    return now - entry.seenAt > state.config.staleAfterSeconds * 1000;
  }

  /** REST washers: names, availability, and the last fix when it is newer than ours. */
  function mergeWashers(list) {
    const now = Date.now();
    for (const item of list) {
      const entry = washer(item.id);
      entry.name = item.full_name || entry.name;
      entry.available = item.is_available;
      entry.active = item.is_active;
      const fixAt = time(item.last_fix_at);
      const lat = number(item.last_lat);
      const lng = number(item.last_lng);
      if (lat !== null && lng !== null && (entry.fixAt === null || (fixAt ?? 0) > entry.fixAt)) {
        entry.lat = lat;
        entry.lng = lng;
        entry.fixAt = fixAt;
        // Age by the server's clock, seen by ours: a fix from an hour ago starts out stale.
        entry.seenAt = fixAt === null ? null : now - Math.max(0, serverNow() - fixAt);
      }
      entry.stale = isStale(entry, now);
      dirty.washers.add(item.id);
    }
    changed();
  }

  function applyPositions(positions) {
    const now = Date.now();
    for (const p of positions || []) {
      const id = p.washer_id;
      const lat = number(p.lat);
      const lng = number(p.lng);
      if (id == null || lat === null || lng === null) continue;
      const entry = washer(id);
      const fixAt = time(p.ts);
      if (entry.fixAt !== null && fixAt !== null && fixAt < entry.fixAt) continue;
      entry.lat = lat;
      entry.lng = lng;
      entry.heading = number(p.heading);
      entry.speed = number(p.speed);
      entry.fixAt = fixAt;
      entry.seenAt = now;
      entry.orderId = p.order_id ?? null;
      entry.eta = number(p.eta_seconds);
      entry.stale = false;
      dirty.washers.add(id);
      if (state.selectedOrderId !== null && entry.orderId === state.selectedOrderId) {
        state.track.push({ lat, lng, recorded_at: p.ts });
        if (state.track.length > TRACK_CAP) state.track.shift();
        dirty.track = true;
      }
    }
    changed();
  }

  /** Busy: working an order, as its last fix or the order's own events say. */
  function washerBusy(entry) {
    return entry.orderId !== null || state.washerOrder.has(entry.id);
  }

  // --- orders --------------------------------------------------------------------------

  function linkWasher(order) {
    for (const [washerId, orderId] of state.washerOrder) {
      if (orderId === order.id && (washerId !== order.washerId || !WITH_WASHER.has(order.status))) {
        state.washerOrder.delete(washerId);
        dirty.washers.add(washerId);
      }
    }
    if (order.washerId !== null && WITH_WASHER.has(order.status)) {
      state.washerOrder.set(order.washerId, order.id);
      dirty.washers.add(order.washerId);
    }
  }

  /** Apply one version of an order; older versions (lower seq) are ignored. Returns whether
   * it changed anything. */
  function upsertOrder(fields) {
    const id = fields.id;
    const existing = state.orders.get(id);
    if (existing && existing.seq !== null && fields.seq !== null && fields.seq <= existing.seq) {
      // Same or older version; it may still fill in a position the event did not carry.
      if (existing.lat === null && fields.lat !== null) {
        Object.assign(existing, { lat: fields.lat, lng: fields.lng, address: fields.address });
        dirty.orders.add(id);
        return true;
      }
      return false;
    }
    const order = existing || { id, lat: null, lng: null, terminalAt: null };
    for (const [key, value] of Object.entries(fields)) {
      if (value !== null && value !== undefined) order[key] = value;
    }
    if (fields.washerId === null) order.washerId = null;
    order.terminalAt = TERMINAL.has(order.status) ? order.terminalAt || Date.now() : null;
    state.orders.set(id, order);
    linkWasher(order);
    dirty.orders.add(id);
    if (id === state.selectedOrderId) dirty.selection = true;
    return true;
  }

  function orderFromRest(item) {
    return {
      id: item.id,
      status: item.status,
      seq: number(item.seq),
      lat: number(item.lat),
      lng: number(item.lng),
      address: item.address,
      washerId: item.washer_id ?? null,
      customerId: item.customer_id,
      priceCents: item.price_cents,
      createdAt: item.created_at,
      scheduledFor: item.scheduled_for,
    };
  }

  function orderFromEvent(data) {
    return {
      id: data.order_id,
      status: data.status,
      seq: number(data.seq),
      lat: number(data.lat),
      lng: number(data.lng),
      washerId: data.washer_id ?? null,
      customerId: data.customer_id,
      priceCents: data.price_cents,
      createdAt: data.created_at,
      scheduledFor: data.scheduled_for,
    };
  }

  function mergeOrders(list) {
    for (const item of list) upsertOrder(orderFromRest(item));
    changed();
  }

  /** After a reset: the REST list is the truth for active orders; anything else we still
   * show as active has finished while we were not listening. */
  function replaceActiveOrders(list) {
    const active = new Set(list.map((item) => item.id));
    for (const [id, order] of state.orders) {
      if (!active.has(id) && !TERMINAL.has(order.status) && id !== state.selectedOrderId) {
        state.orders.delete(id);
        for (const [washerId, orderId] of state.washerOrder) {
          if (orderId === id) state.washerOrder.delete(washerId);
        }
      }
    }
    dirty.all = true;
    mergeOrders(list);
  }

  function addOrderDetail(order) {
    upsertOrder(orderFromRest(order));
    changed();
  }

  // --- events --------------------------------------------------------------------------

  function addFeed(entry) {
    if (feedKeys.has(entry.key)) return;
    feedKeys.add(entry.key);
    state.feed.unshift(entry);
    dirty.feedAdded.push(entry);
    while (state.feed.length > FEED_CAP) feedKeys.delete(state.feed.pop().key);
  }

  function feedEntry(name, envelope) {
    const data = envelope.data || {};
    return {
      key: `${data.order_id}:${data.seq}`,
      event: name,
      ts: envelope.ts || data.occurred_at,
      orderId: data.order_id,
      status: data.status,
      fromStatus: data.from_status,
      washerId: data.washer_id ?? null,
      priceCents: data.price_cents,
      actorRole: data.actor_role,
      reason: data.reason,
    };
  }

  function applyOrderEvent(name, envelope) {
    const data = envelope.data || {};
    if (data.order_id == null) return false;
    const fresh = upsertOrder(orderFromEvent(data));
    if (fresh) addFeed(feedEntry(name, envelope));
    return fresh;
  }

  /** Order events from before the page opened (oldest first), put below what the stream
   * has shown since, so the feed is full from the start. Orders are not touched: the REST
   * state is newer than any of these. Events the stream already brought are skipped. */
  function backfillFeed(envelopes) {
    for (let i = (envelopes || []).length - 1; i >= 0 && state.feed.length < FEED_CAP; i -= 1) {
      const envelope = envelopes[i];
      if (!envelope.data || envelope.data.order_id == null) continue;
      const entry = feedEntry(envelope.event, envelope);
      if (feedKeys.has(entry.key)) continue;
      feedKeys.add(entry.key);
      state.feed.push(entry);
      dirty.feedBackfill.push(entry);
    }
    changed();
  }

  function setKpis(snapshot) {
    if (!snapshot) return;
    const generated = time(snapshot.generated_at);
    if (generated !== null) state.serverOffsetMs = generated - Date.now();
    if (state.kpis && generated !== null && generated < (time(state.kpis.generated_at) ?? 0)) {
      return; // an older snapshot (REST answer overtaken by a tick)
    }
    state.kpis = snapshot;
    dirty.kpis = true;
    changed();
  }

  /** Apply one envelope from the stream; returns the ids of orders we know nothing about
   * (events that carry no position), so the caller can fetch them. */
  function applyEnvelope(name, envelope) {
    state.lastEventAt = Date.now();
    if (name === 'washer.position') {
      applyPositions(envelope.data && envelope.data.positions);
      return [];
    }
    if (name === 'kpi.tick') {
      setKpis(envelope.data);
      return [];
    }
    if (name === 'surge.zones') {
      if (envelope.data && Array.isArray(envelope.data.zones)) {
        state.surge = envelope.data;
        dirty.surge = true;
        changed();
      }
      return [];
    }
    if (name === 'order.created' || name === 'order.status') {
      applyOrderEvent(name, envelope);
      changed();
      const order = state.orders.get(envelope.data.order_id);
      return order && order.lat === null && !TERMINAL.has(order.status) ? [order.id] : [];
    }
    return [];
  }

  function note(event, text) {
    addFeed({ key: `note:${Date.now()}:${Math.random()}`, event, ts: new Date().toISOString(), text });
    changed();
  }

  // --- configuration, selection, connection --------------------------------------------

  function setConfig(config) {
    if (!config) return;
    state.config = {
      ...state.config,
      area: config.area || state.config.area,
      staleAfterSeconds: number(config.stale_after_seconds) ?? state.config.staleAfterSeconds,
      currency: config.currency || state.config.currency,
    };
    dirty.all = true;
    dirty.kpis = true;
    changed();
  }

  function select(orderId) {
    state.selectedOrderId = orderId;
    state.track = [];
    dirty.selection = true;
    dirty.track = true;
    dirty.all = true;
    changed();
  }

  function setTrack(points) {
    state.track = points.slice(-TRACK_CAP);
    dirty.track = true;
    changed();
  }

  function setConnection(value) {
    state.connection = value;
    state.connectionHistory.push({ state: value, at: new Date().toISOString() });
    if (state.connectionHistory.length > 100) state.connectionHistory.shift();
    dirty.connection = true;
    changed();
  }

  /** Once a second: washers go stale, finished orders leave the map. */
  function sweep() {
    const now = Date.now();
    let any = false;
    for (const entry of state.washers.values()) {
      const stale = isStale(entry, now);
      if (stale !== entry.stale) {
        entry.stale = stale;
        dirty.washers.add(entry.id);
        any = true;
      }
    }
    for (const [id, order] of state.orders) {
      if (order.terminalAt && now - order.terminalAt > TERMINAL_LINGER_MS) {
        if (id === state.selectedOrderId) continue;
        state.orders.delete(id);
        dirty.orders.add(id);
        any = true;
      }
    }
    if (any) changed();
  }

  /** Everything must be redrawn (the map changed size). */
  function invalidate() {
    dirty.all = true;
    changed();
  }

  /** Hand the accumulated changes to the renderers and start a new batch. */
  function takeDirty() {
    const batch = {
      washers: dirty.washers,
      orders: dirty.orders,
      all: dirty.all,
      kpis: dirty.kpis,
      feedAdded: dirty.feedAdded,
      feedBackfill: dirty.feedBackfill,
      feedReset: dirty.feedReset,
      selection: dirty.selection,
      track: dirty.track,
      connection: dirty.connection,
      surge: dirty.surge,
    };
    dirty.washers = new Set();
    dirty.orders = new Set();
    dirty.feedAdded = [];
    dirty.feedBackfill = [];
    dirty.all = dirty.kpis = dirty.feedReset = dirty.selection = dirty.track = false;
    dirty.connection = false;
    dirty.surge = false;
    return batch;
  }

  return {
    state,
    serverNow,
    washerBusy,
    mergeWashers,
    mergeOrders,
    replaceActiveOrders,
    addOrderDetail,
    applyEnvelope,
    backfillFeed,
    setKpis,
    setConfig,
    select,
    setTrack,
    setConnection,
    note,
    sweep,
    takeDirty,
    invalidate,
    onChange(callback) {
      onChange = callback;
    },
  };
}
