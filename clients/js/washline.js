// Washline client SDK: one dependency-free ES module for browsers (and any runtime with
// fetch, WebSocket and EventSource). Types: washline.d.ts. Protocol: docs/protocol.md.
//
// - WashlineClient: login, tokens refreshed ahead of expiry (one refresh at a time: refresh
//   tokens rotate), REST helpers for each step of a wash, errors as ApiError / RequestTimeout.
// - LiveConnection: the WebSocket /ws with the token as a subprotocol, re-authenticated with
//   the `auth` op when tokens rotate; subscribe with `since`; reconnect with a jittered
//   backoff and resume every channel from the last id handed to the app; duplicates dropped
//   by id; `reset` handed to the app; SSE (EventSource) when WebSockets are not available;
//   a session the server ended (`access_revoked`) handed to the app, never reconnected.

export const PROTOCOL = 'washline.v1';
const TOKEN_PREFIX = 'bearer.';
const REFRESH_LEAD_MS = 60_000;
const UNAUTHORIZED = 4001;
const ACCESS_ENDED = 4003;
const BACK_OFF_CODES = [4009, 4029];
/** Event names an SSE stream may carry: EventSource delivers a named event only to its own
 * listener, so every name is listened to (add yours with the `sseEvents` option). */
export const SSE_EVENTS = [
  'order.created', 'order.status', 'order.location', 'chat.message', 'chat.typing', 'chat.read',
  'notification', 'dispatch.offer', 'dispatch.offer_withdrawn', 'washer.position', 'kpi.tick',
  'surge.zone', 'surge.zones', 'audit.entry',
];
/** The error code that says the session is over (revoked, password changed, account
 * deactivated or erased): neither its tokens nor a reconnect can bring it back. */
export const ACCESS_REVOKED = 'access_revoked';

// --- errors -------------------------------------------------------------------------------

export class WashlineError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** The server refused a REST call; `code` is its stable machine-readable reason. */
export class ApiError extends WashlineError {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    Object.assign(this, { status, code, detail: message });
  }
}

/** An `error` frame answered a live op (the connection stays). */
export class LiveError extends WashlineError {
  constructor(code, message, frame = {}) {
    super(`${code}: ${message}`);
    Object.assign(this, { code, detail: message, frame });
  }
}

/** No answer in time. REST writes carry an Idempotency-Key, so repeating them is safe. */
export class RequestTimeout extends WashlineError {
  constructor(what, ms) {
    super(`${what}: no answer within ${ms} ms`);
    Object.assign(this, { what, ms });
  }
}

/** A live op while the socket is down, or over SSE (which only listens). */
export class NotConnected extends WashlineError {}

// --- positions and de-duplication -----------------------------------------------------------

/** `"12"` or `"17-k3x9"` as { offset, epoch }; null for anything else (e.g. "" for typing). */
export function parseId(id) {
  if (typeof id !== 'string') return null;
  const dash = id.indexOf('-');
  const offset = dash < 0 ? id : id.slice(0, dash);
  if (!/^\d+$/.test(offset)) return null;
  return { offset: BigInt(offset), epoch: dash < 0 ? '' : id.slice(dash + 1) };
}

/** The last id per channel: where to resume, and whether an event was seen already. An id of
 * another epoch starts a new history (after a reset), so it counts as new. */
export class Positions {
  #last = new Map();
  get(channel) { return this.#last.get(channel); }
  set(channel, id) { this.#last.set(channel, id); }
  forget(channel) { this.#last.delete(channel); }
  snapshot() { return Object.fromEntries(this.#last); }
  /** Record an arriving event's id; false when it is a duplicate (drop it). */
  accept(channel, id) {
    const candidate = parseId(id);
    if (candidate === null) return true; // never replayed, never duplicated
    const last = parseId(this.#last.get(channel));
    if (last && candidate.epoch === last.epoch && candidate.offset <= last.offset) return false;
    this.#last.set(channel, id);
    return true;
  }
}

/** Exponential delays with "equal jitter": a fleet that lost one server comes back spread. */
export class Backoff {
  constructor({ baseMs = 500, capMs = 15_000, random = Math.random } = {}) {
    Object.assign(this, { baseMs, capMs, random, attempt: 0 });
  }
  next() {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt += 1;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }
  reset() { this.attempt = 0; }
  atLeast(attempt) { this.attempt = Math.max(this.attempt, attempt); }
}

/** The SSE route that carries `channel` for user `userId`, or null. */
export function streamPath(channel, userId) {
  const [kind, id] = channel.split(':');
  if (kind === 'order' && id) return `/api/orders/${id}/events`;
  if (channel === `user:${userId}`) return '/api/me/events';
  if (channel === 'ops') return '/api/admin/stream';
  if (channel === 'audit') return '/api/admin/audit/events';
  return null;
}

/** A stream's resume position: the plain id for one channel, `c@id,...` for an order's. */
export function lastEventIdFor(path, positions, channels) {
  const known = [...channels].sort().filter((c) => positions[c] !== undefined);
  if (!path.startsWith('/api/orders/')) return known.length ? positions[known[0]] : '';
  return known.map((c) => `${c}@${positions[c]}`).join(',');
}

// --- tokens ---------------------------------------------------------------------------------

/** Holds a token pair, refreshes it ahead of expiry on a timer, and tells listeners. */
export class TokenKeeper {
  #pair = null;
  #expiresAt = 0;
  #lifetimeMs = 0;
  #refreshing = null;
  #timer = 0;
  #listeners = new Set();

  /** @param refresher (refreshToken) => Promise<TokenPair> */
  constructor(refresher) { this.refresher = refresher; }

  get pair() { return this.#pair; }
  get user() { return this.#pair ? this.#pair.user : null; }
  get userId() { return this.#pair ? this.#pair.user.id : null; }

  set(pair) {
    this.#pair = pair;
    this.#expiresAt = pair ? Date.parse(pair.expires_at) : 0;
    this.#lifetimeMs = Math.max(1_000, this.#expiresAt - Date.now());
    clearTimeout(this.#timer);
    if (pair) {
      // Due by then: refresh outright (a timer may fire a few ms before the computed moment).
      const token = pair.access_token;
      this.#timer = setTimeout(() => this.refresh(token).catch(() => this.#retrySoon(token)), this.msUntilRefresh());
    }
  }

  #retrySoon(token) {
    if (this.#pair && this.#pair.access_token === token) {
      this.#timer = setTimeout(() => this.refresh(token).catch(() => this.#retrySoon(token)), 5_000);
    }
  }

  /** How long the access token may still be used before it should be refreshed. JWT `exp`
   * is in whole seconds, so the margin is never under 30% of a short lifetime. */
  msUntilRefresh() {
    const margin = Math.min(REFRESH_LEAD_MS, this.#lifetimeMs * 0.3);
    return Math.max(0, this.#expiresAt - Date.now() - margin);
  }

  async accessToken() {
    if (!this.#pair) throw new WashlineError('not logged in');
    if (this.msUntilRefresh() <= 0) await this.refresh(this.#pair.access_token);
    return this.#pair.access_token;
  }

  /** Rotate the pair; with `stale`, only if the current token is still that one. */
  async refresh(stale) {
    if (this.#refreshing) return this.#refreshing;
    if (stale && this.#pair && this.#pair.access_token !== stale) return this.#pair;
    this.#refreshing = (async () => {
      try {
        const pair = await this.refresher(this.#pair.refresh_token);
        this.set(pair);
        for (const listener of [...this.#listeners]) listener(pair.access_token);
        return pair;
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  /** `listener(accessToken)` after every rotation; returns the unsubscribe function. */
  onRefresh(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stop() { clearTimeout(this.#timer); }
}

// --- REST -----------------------------------------------------------------------------------

export class WashlineClient {
  constructor({ baseUrl = '', timeoutMs = 10_000, fetch: fetcher } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.timeoutMs = timeoutMs;
    this.fetch = fetcher || globalThis.fetch.bind(globalThis);
    this.tokens = new TokenKeeper((refreshToken) =>
      this.#send('POST', '/api/auth/refresh', { refresh_token: refreshToken }));
  }

  get user() { return this.tokens.user; }

  async login(email, password) {
    this.tokens.set(await this.#send('POST', '/api/auth/login', { email, password }));
    return this.user;
  }

  refresh() { return this.tokens.refresh(); }

  async logout() {
    const pair = this.tokens.pair;
    this.tokens.set(null);
    if (pair) await this.#send('POST', '/api/auth/logout', { refresh_token: pair.refresh_token });
  }

  /** A live connection as this user (see LiveConnection for the options). */
  live(options = {}) {
    return new LiveConnection({ baseUrl: this.baseUrl, tokens: this.tokens, ...options });
  }

  packages() { return this.call('GET', '/api/packages'); }
  addVehicle(vehicle) { return this.call('POST', '/api/vehicles', vehicle); }
  /** Book a wash: { vehicle_id, package_id, address, lat, lng, scheduled_for?, notes? }. */
  book(order) { return this.call('POST', '/api/orders', order); }
  order(orderId) { return this.call('GET', `/api/orders/${orderId}`); }
  transition(orderId, to, fields = {}) {
    return this.call('POST', `/api/orders/${orderId}/transitions`, { to, ...fields });
  }
  setAvailable(isAvailable) {
    return this.call('PUT', '/api/washers/me/availability', { is_available: isAvailable });
  }
  offers() { return this.call('GET', '/api/washers/me/offers'); }
  acceptOffer(offerId, reason) {
    return this.call('POST', `/api/offers/${offerId}/accept`, reason ? { reason } : {});
  }
  declineOffer(offerId, reason) {
    return this.call('POST', `/api/offers/${offerId}/decline`, reason ? { reason } : {});
  }
  sendMessage(orderId, body) {
    return this.call('POST', `/api/orders/${orderId}/messages`, { body });
  }
  messages(orderId, params = {}) {
    return this.call('GET', `/api/orders/${orderId}/messages`, undefined, params);
  }
  markRead(orderId, upTo) {
    return this.call('POST', `/api/orders/${orderId}/messages/read`, { up_to: upTo });
  }
  review(orderId, stars, comment) {
    const body = comment === undefined ? { stars } : { stars, comment };
    return this.call('POST', `/api/orders/${orderId}/review`, body);
  }
  /** A share link of one of your orders: { token, url, expires_at } (the token is shown once). */
  share(orderId) { return this.call('POST', `/api/orders/${orderId}/share`); }
  /** Revoke every share link of the order: { revoked }. */
  revokeShares(orderId) { return this.call('DELETE', `/api/orders/${orderId}/share`); }

  /** Any API call as the signed-in user; a 401 gets one forced refresh and one retry. */
  async call(method, path, body, params) {
    const headers = method === 'POST' ? { 'Idempotency-Key': randomKey() } : {};
    const token = await this.tokens.accessToken();
    try {
      return await this.#send(method, path, body, params, { ...headers, Authorization: `Bearer ${token}` });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
    await this.tokens.refresh(token);
    const fresh = await this.tokens.accessToken();
    return this.#send(method, path, body, params, { ...headers, Authorization: `Bearer ${fresh}` });
  }

  async #send(method, path, body, params, headers = {}) {
    const query = params ? `?${new URLSearchParams(params)}` : '';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    let response;
    try {
      response = await this.fetch(`${this.baseUrl}${path}${query}`, {
        method,
        headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
        cache: 'no-store',
      });
      const text = await response.text();
      if (!response.ok) throw refusal(response.status, text);
      return text ? JSON.parse(text) : null;
    } catch (error) {
      if (abort.signal.aborted) throw new RequestTimeout(`${method} ${path}`, this.timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

// --- live ---------------------------------------------------------------------------------

/**
 * Follow channels live. Events reach `onEvent(envelope)` once each, in order per channel;
 * `onReset(channel)` says a channel's history is gone (reload it over REST);
 * `onUnsubscribed({channel, code, message})` that the server ended a subscription;
 * `onEnded({code, reason, message})` that the server ended the session itself (`code`
 * `access_revoked`): the connection is closed for good, the user must log in again;
 * `onState(state)`: connecting, live, reconnecting, resumed, closed.
 *
 * `tokens` is anything with `accessToken()`, `refresh(stale)`, `onRefresh(listener)` and
 * `userId` (WashlineClient's TokenKeeper, or an app's own session store).
 */
export class LiveConnection {
  #socket = null;
  #pending = new Map();
  #refs = 0;
  #streams = new Map();
  #stopped = true;
  #started = null;
  #unlisten = null;
  #everOpened = false;
  #generation = 0; // a stop() ends the loops of the previous start()

  constructor({
    baseUrl = '', tokens, transport = 'auto', onEvent = () => {}, onReset = () => {},
    onUnsubscribed = () => {}, onEnded = () => {}, onState = () => {}, requestTimeoutMs = 10_000,
    backoff = {}, beforeReconnect = null, sseEvents = [], WebSocket: Socket, EventSource: Source,
  }) {
    Object.assign(this, {
      baseUrl: baseUrl.replace(/\/$/, ''), tokens, transport, onEvent, onReset, onUnsubscribed,
      onEnded, onState, requestTimeoutMs, backoffOptions: backoff, beforeReconnect, sseEvents,
    });
    this.Socket = Socket || globalThis.WebSocket;
    this.Source = Source || globalThis.EventSource;
    if (transport === 'auto' && !this.Socket) this.transport = 'sse';
    this.positions = new Positions();
    this.channels = new Set();
    this.backoff = new Backoff(backoff);
    this.connects = 0; // connections opened (sockets or streams): the first is 1
    this.state = 'idle';
    this.ended = null; // {code, reason, message} once the server ended the session
  }

  /** Start; resolves once the WebSocket is open (at once over SSE). */
  start() {
    if (!this.#stopped) return this.#started;
    this.ended = null;
    this.#revoked = null;
    this.#stopped = false;
    this.#generation += 1;
    this.#setState('connecting');
    this.#unlisten = this.tokens.onRefresh((token) => this.#reauthenticate(token));
    this.#started = new Promise((resolve) => { this.#resolveStart = resolve; });
    if (this.transport === 'sse') {
      for (const path of this.#paths()) this.#openStream(path);
      this.#resolveStart();
    } else {
      this.#runWebSocket();
    }
    return this.#started;
  }

  stop() {
    this.#stopped = true;
    if (this.#unlisten) this.#unlisten();
    if (this.#socket) this.#socket.close(1000, 'client closed');
    for (const path of [...this.#streams.keys()]) this.#closeStream(path);
    this.#setState('closed');
  }

  /** The session is over: stop for good (no retry could succeed) and tell the app once. */
  #end(frame) {
    if (this.ended) return;
    this.ended = {
      code: frame.code || ACCESS_REVOKED, reason: frame.reason || '', message: frame.message || '',
    };
    this.stop();
    this.#resolveStart();
    this.onEnded(this.ended);
  }

  /** The last event id handed over on `channel` (what a reconnect resumes from). */
  lastEventId(channel) { return this.positions.get(channel); }

  /** Follow `channel` from now, or after event `since` ("0": all the history kept). Rejects
   * with LiveError (`forbidden`, `bad_channel`, ...) when the server refuses. */
  async subscribe(channel, { since } = {}) {
    if (since !== undefined && since !== null) this.positions.set(channel, String(since));
    this.channels.add(channel);
    if (this.transport === 'sse') {
      const path = streamPath(channel, this.tokens.userId);
      if (!path) {
        this.#drop(channel);
        throw new LiveError('unsupported_op', `no SSE stream carries ${channel}`);
      }
      if (!this.#stopped) this.#openStream(path); // (re)opened with every channel's position
      return;
    }
    if (this.#isOpen()) {
      try {
        await this.#subscribeOn(channel);
      } catch (error) {
        this.#drop(channel);
        throw error;
      }
    }
  }

  async unsubscribe(channel) {
    this.#drop(channel);
    if (this.transport === 'sse') {
      const path = streamPath(channel, this.tokens.userId);
      if (path && !this.#paths().has(path)) this.#closeStream(path);
    } else if (this.#isOpen()) {
      await this.request('unsubscribe', { channel }).catch(() => {});
    }
  }

  /** Any op over the WebSocket; resolves with its reply frame. */
  request(op, fields = {}) {
    if (!this.#isOpen()) return Promise.reject(new NotConnected(`${op} needs the WebSocket`));
    const ref = ++this.#refs;
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ref);
        reject(new RequestTimeout(`live op ${op}`, this.requestTimeoutMs));
      }, this.requestTimeoutMs);
      this.#pending.set(ref, { resolve, reject, timer });
      socket.send(JSON.stringify({ op, ref, ...fields }));
    }).then((frame) => {
      if (frame.type === 'error') throw new LiveError(frame.code, frame.message || '', frame);
      return frame;
    });
  }

  async chat(orderId, body) { return (await this.request('chat', { order_id: orderId, body })).seq; }
  location(fix) { return this.request('location', fix); }

  // -- frames ---------------------------------------------------------------------------------

  #onFrame(frame) {
    if (!frame || typeof frame !== 'object') return;
    if ((frame.type === 'reply' || frame.type === 'error') && this.#pending.has(frame.ref)) {
      const waiting = this.#pending.get(frame.ref);
      this.#pending.delete(frame.ref);
      clearTimeout(waiting.timer);
      waiting.resolve(frame);
      return;
    }
    if (frame.type === 'error' && frame.code === ACCESS_REVOKED) {
      this.#revoked = frame; // the close (4001) that follows ends the connection for good
      return;
    }
    const channel = frame.channel;
    if (typeof channel !== 'string' || !this.channels.has(channel)) return;
    if (frame.type === 'event') {
      if (this.positions.accept(channel, frame.id)) this.onEvent(frame);
    } else if (frame.type === 'reset') {
      this.onReset(channel);
    } else if (frame.type === 'unsubscribed') {
      this.#drop(channel);
      this.onUnsubscribed({ channel, code: frame.code || 'forbidden', message: frame.message || '' });
    }
  }

  #drop(channel) {
    this.channels.delete(channel);
    this.positions.forget(channel);
  }

  #setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  #opened() {
    this.connects += 1;
    this.#setState(this.#everOpened && Object.keys(this.positions.snapshot()).length ? 'resumed' : 'live');
    this.#everOpened = true;
  }

  // -- the WebSocket --------------------------------------------------------------------------

  #isOpen() { return this.#socket !== null && this.#socket.readyState === 1 && this.#ready; }

  #ready = false;
  #revoked = null; // the `access_revoked` frame this socket got before closing
  #resolveStart = () => {};

  async #runWebSocket() {
    const generation = this.#generation;
    while (!this.#stopped && generation === this.#generation) {
      let token;
      try {
        if (this.#everOpened && this.beforeReconnect) await this.beforeReconnect();
        token = await this.tokens.accessToken();
      } catch {
        this.#setState(this.#everOpened ? 'reconnecting' : 'connecting');
        await sleep(this.backoff.next());
        continue;
      }
      const outcome = await this.#openSocket(token);
      if (this.#stopped || generation !== this.#generation) return;
      if (!outcome.opened && this.transport === 'auto' && !this.#everOpened && await this.#serverAnswers()) {
        this.transport = 'sse'; // the server is there but WebSockets do not get through
        for (const path of this.#paths()) this.#openStream(path);
        this.#resolveStart();
        return;
      }
      if (outcome.code === ACCESS_ENDED) {
        this.stop();
        return;
      }
      if (outcome.code === UNAUTHORIZED && this.#revoked) {
        this.#end(this.#revoked);
        return;
      }
      if (outcome.code === UNAUTHORIZED && await this.#sessionRefused(token)) {
        if (!this.#stopped && generation === this.#generation) {
          this.#end({ code: ACCESS_REVOKED, reason: 'refresh_refused' });
        }
        return;
      }
      if (BACK_OFF_CODES.includes(outcome.code)) this.backoff.atLeast(4);
      this.#setState(this.#everOpened ? 'reconnecting' : 'connecting');
      await sleep(this.backoff.next());
    }
  }

  #openSocket(token) {
    return new Promise((resolve) => {
      let opened = false;
      const socket = new this.Socket(wsUrl(this.baseUrl), [PROTOCOL, TOKEN_PREFIX + token]);
      this.#socket = socket;
      socket.onopen = async () => {
        opened = true;
        try {
          for (const channel of [...this.channels].sort()) await this.#resubscribe(channel);
        } catch {
          return; // the socket closed meanwhile: onclose carries on
        }
        if (socket !== this.#socket) return;
        this.#ready = true;
        this.backoff.reset();
        this.#opened();
        this.#resolveStart();
      };
      socket.onmessage = (message) => {
        let frame;
        try {
          frame = JSON.parse(message.data);
        } catch {
          return;
        }
        this.#onFrame(frame);
      };
      socket.onclose = (closed) => {
        this.#ready = false;
        if (this.#socket === socket) this.#socket = null;
        for (const [ref, waiting] of this.#pending) {
          clearTimeout(waiting.timer);
          waiting.reject(new NotConnected('the connection closed before the reply'));
          this.#pending.delete(ref);
        }
        resolve({ opened, code: closed.code, reason: closed.reason });
      };
    });
  }

  #subscribeOn(channel) {
    const since = this.positions.get(channel);
    const fields = since === undefined ? { channel } : { channel, since };
    const socket = this.#socket;
    const ref = ++this.#refs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ref);
        reject(new RequestTimeout('live op subscribe', this.requestTimeoutMs));
      }, this.requestTimeoutMs);
      this.#pending.set(ref, { resolve, reject, timer });
      socket.send(JSON.stringify({ op: 'subscribe', ref, ...fields }));
    }).then((frame) => {
      if (frame.type === 'error') throw new LiveError(frame.code, frame.message || '', frame);
      return frame;
    });
  }

  async #resubscribe(channel) {
    try {
      await this.#subscribeOn(channel);
    } catch (error) {
      if (!(error instanceof LiveError)) throw error;
      this.#drop(channel);
      this.onUnsubscribed({ channel, code: error.code, message: error.detail });
    }
  }

  /** After a 4001 without `access_revoked` (an expired token, or a socket opened with the
   * token of a session that ended meanwhile): refresh; true when the refresh is refused too. */
  async #sessionRefused(token) {
    try {
      await this.tokens.refresh(token);
      return false;
    } catch (error) {
      return error !== null && typeof error === 'object' && error.status === 401;
    }
  }

  async #reauthenticate(token) {
    if (!this.#isOpen()) return; // the next connection uses the new token anyway
    await this.request('auth', { token }).catch(() => {}); // else the server closes with 4001
  }

  async #serverAnswers() {
    try {
      const response = await fetch(`${this.baseUrl}/health`, { cache: 'no-store' });
      return response.ok;
    } catch {
      return false;
    }
  }

  // -- the SSE fallback -----------------------------------------------------------------------

  #paths() {
    const paths = new Set();
    for (const channel of this.channels) {
      const path = streamPath(channel, this.tokens.userId);
      if (path) paths.add(path);
    }
    return paths;
  }

  #closeStream(path) {
    const stream = this.#streams.get(path);
    if (!stream) return;
    clearTimeout(stream.timer);
    if (stream.source) stream.source.close();
    stream.source = null;
    this.#streams.delete(path);
  }

  async #openStream(path, { retrying = false } = {}) {
    let stream = this.#streams.get(path);
    if (!stream) {
      stream = { source: null, timer: 0, backoff: new Backoff(this.backoffOptions), opening: 0 };
      this.#streams.set(path, stream);
    }
    clearTimeout(stream.timer);
    if (stream.source) stream.source.close();
    stream.source = null;
    const attempt = ++stream.opening;
    let token;
    try {
      if (retrying && this.beforeReconnect) await this.beforeReconnect();
      token = await this.tokens.accessToken();
    } catch {
      if (attempt === stream.opening && !this.#stopped) this.#retryStream(path, stream);
      return;
    }
    if (attempt !== stream.opening || this.#stopped || this.#streams.get(path) !== stream) return;
    const channels = [...this.channels].filter((c) => streamPath(c, this.tokens.userId) === path);
    const resume = lastEventIdFor(path, this.positions.snapshot(), channels);
    const params = new URLSearchParams({ token });
    if (resume) params.set('last_event_id', resume);
    const source = new this.Source(`${this.baseUrl}${path}?${params}`);
    stream.source = source;
    const current = () => stream.source === source;
    source.onopen = () => {
      if (!current()) return;
      stream.backoff.reset();
      this.#opened();
    };
    source.onerror = () => {
      if (!current()) return;
      source.close(); // reconnect ourselves: fresh token, our positions, jittered backoff
      stream.source = null;
      this.#setState('reconnecting');
      this.#retryStream(path, stream);
    };
    const handle = (message) => {
      if (!current()) return;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object' && !frame.type) frame.type = 'event';
      this.#onFrame(frame);
    };
    for (const name of new Set([...SSE_EVENTS, ...this.sseEvents, 'message', 'reset', 'unsubscribed'])) {
      source.addEventListener(name, handle);
    }
    source.addEventListener('end', (message) => {
      if (!current()) return;
      let ended = {};
      try {
        ended = JSON.parse(message.data) || {};
      } catch {
        // keep {}
      }
      source.close();
      stream.source = null;
      if (ended.code === ACCESS_REVOKED) {
        this.#end(ended);
      } else if (ended.code === 'forbidden') {
        this.#closeStream(path);
        for (const channel of channels) this.#onFrame({ type: 'unsubscribed', channel, ...ended });
      } else if (ended.code === 'token_expired') {
        this.tokens.refresh(token).catch(() => {}).then(() => this.#openStream(path));
      } else {
        this.#retryStream(path, stream);
      }
    });
  }

  #retryStream(path, stream) {
    clearTimeout(stream.timer);
    stream.timer = setTimeout(() => {
      if (!this.#stopped && this.#streams.get(path) === stream) this.#openStream(path, { retrying: true });
    }, stream.backoff.next());
  }
}

// --- share links --------------------------------------------------------------------------

/** The events of a share link's stream (`/api/share/{token}/events`). */
export const SHARE_EVENTS = ['share.snapshot', 'share.status', 'share.location'];

/**
 * Follow a share link live, without an account. `onSnapshot(order)` on every (re)connection
 * with the whole picture ({status, position, destination: {lat, lng}, expires_at, area});
 * `onStatus({status, occurred_at})`; `onLocation({lat, lng, ts, heading, speed, distance_m,
 * eta_seconds})`; `onEnd({code, message})` once, when the link stops working (order
 * finished, revoked, expired); `onState(state)`: connecting, live, reconnecting, closed.
 * A dropped stream is reopened with a jittered backoff (no sooner than a 429's
 * `Retry-After`: the share routes are rate-limited per address); a link that answers 404
 * ends the follower instead.
 */
export class ShareFollower {
  #source = null;
  #timer = 0;
  #stopped = true;

  constructor({
    baseUrl = '', token, onSnapshot = () => {}, onStatus = () => {}, onLocation = () => {},
    onEnd = () => {}, onState = () => {}, backoff = {}, EventSource: Source, fetch: fetcher,
  }) {
    Object.assign(this, { baseUrl: baseUrl.replace(/\/$/, ''), token, onSnapshot, onStatus, onLocation, onEnd, onState });
    this.Source = Source || globalThis.EventSource;
    this.fetch = fetcher || globalThis.fetch.bind(globalThis);
    this.backoff = new Backoff(backoff);
    this.state = 'idle';
    this.path = `/api/share/${encodeURIComponent(token)}`;
  }

  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#setState('connecting');
    this.#open();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#source) this.#source.close();
    this.#source = null;
    this.#setState('closed');
  }

  #setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  #end(ended) {
    this.stop();
    this.onEnd({ code: ended.code || 'share_ended', message: ended.message || '' });
  }

  #open() {
    const source = new this.Source(`${this.baseUrl}${this.path}/events`);
    this.#source = source;
    const current = () => this.#source === source;
    const parse = (message) => {
      try {
        return JSON.parse(message.data) || {};
      } catch {
        return null;
      }
    };
    const on = (name, handler) => source.addEventListener(name, (message) => {
      const data = parse(message);
      if (current() && data) handler(data);
    });
    source.onopen = () => {
      if (!current()) return;
      this.backoff.reset();
      this.#setState('live');
    };
    on('share.snapshot', (data) => this.onSnapshot(data));
    on('share.status', (data) => this.onStatus(data));
    on('share.location', (data) => this.onLocation(data));
    on('end', (data) => this.#end(data));
    source.onerror = async () => {
      if (!current()) return;
      source.close();
      this.#source = null;
      this.#setState('reconnecting');
      // EventSource does not say why it failed: ask REST
      const { gone, retryAfterMs } = await this.#ask();
      if (this.#stopped) return;
      if (gone) {
        this.#end(gone);
        return;
      }
      const wait = Math.max(this.backoff.next(), retryAfterMs);
      this.#timer = setTimeout(() => { if (!this.#stopped) this.#open(); }, wait);
    };
  }

  /** Whether the link is dead (404), or how long a 429 asks to wait before trying again. */
  async #ask() {
    try {
      const response = await this.fetch(`${this.baseUrl}${this.path}`, { cache: 'no-store' });
      if (response.status === 429) {
        const seconds = Number(response.headers.get('Retry-After'));
        return { gone: null, retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : 0 };
      }
      if (response.status !== 404) return { gone: null, retryAfterMs: 0 };
      const refused = refusal(404, await response.text());
      return { gone: { code: refused.code, message: refused.detail }, retryAfterMs: 0 };
    } catch {
      return { gone: null, retryAfterMs: 0 };
    }
  }
}

function refusal(status, text) {
  try {
    const body = JSON.parse(text);
    if (body && typeof body.code === 'string') return new ApiError(status, body.code, body.message || '');
  } catch {
    // not JSON
  }
  return new ApiError(status, 'http_error', text.slice(0, 200));
}

function randomKey() {
  return globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

function wsUrl(baseUrl) {
  const base = new URL(baseUrl || globalThis.location.origin, globalThis.location && globalThis.location.href);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  base.pathname = `${base.pathname.replace(/\/$/, '')}/ws`;
  return base.toString();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
