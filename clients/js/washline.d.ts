// Types of washline.js. The wire protocol: docs/protocol.md.

export declare const PROTOCOL: 'washline.v1';
export declare const SSE_EVENTS: string[];
/** The code of an `access_revoked` error frame / SSE `end` event: the session is over. */
export declare const ACCESS_REVOKED: 'access_revoked';

export declare class WashlineError extends Error {}
export declare class ApiError extends WashlineError {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}
export declare class LiveError extends WashlineError {
  readonly code: string;
  readonly detail: string;
  readonly frame: Record<string, unknown>;
}
export declare class RequestTimeout extends WashlineError {
  readonly what: string;
  readonly ms: number;
}
export declare class NotConnected extends WashlineError {}

// --- events ---------------------------------------------------------------------------------

interface Envelope<E extends string, D> {
  type: 'event';
  channel: string;
  /** Increases per channel; "" for events never replayed (chat.typing). */
  id: string;
  event: E;
  ts: string;
  data: D;
}

export interface OrderStatusData {
  order_id: number;
  status: string;
  seq?: number;
  from_status?: string | null;
  customer_id?: number;
  washer_id?: number | null;
  price_cents?: number;
  actor_role?: string;
  actor_id?: number | null;
  reason?: string | null;
  occurred_at?: string;
  lat?: number;
  lng?: number;
}
/** `order.location` on `order:{id}:track`: the washer's position and the ETA (0 once arrived). */
export interface LocationData {
  washer_id: number;
  order_id: number;
  lat: number;
  lng: number;
  ts: string;
  heading: number | null;
  speed: number | null;
  accuracy: number | null;
  distance_m: number;
  eta_seconds: number;
  status: string;
}
/** A washer's GPS fix, as the `location` op sends it. */
export interface LocationFix {
  lat: number;
  lng: number;
  /** ISO-8601 with its offset. */
  ts: string;
  /** Degrees, 0..360. */
  heading?: number;
  /** Metres a second. */
  speed?: number;
  /** Metres (radius). */
  accuracy?: number;
}
/** The reply to a `location` op. */
export interface LocationReply {
  type: 'reply';
  ref: number | string;
  ok: true;
  status: 'accepted' | 'coalesced';
  order_id: number | null;
  eta_seconds: number | null;
}
/** One washer's newest fix in a `washer.position` batch. */
export interface WasherPosition {
  washer_id: number;
  lat: number;
  lng: number;
  heading: number | null;
  speed: number | null;
  ts: string;
  order_id: number | null;
  /** Only while on the way to an order. */
  eta_seconds?: number | null;
}
export interface WasherPositionData {
  positions: WasherPosition[];
}
export interface ChatMessageData {
  order_id: number;
  seq: number;
  body: string;
  sender_id: number;
  sender_role: string;
  sent_at: string;
}
/** `audit.entry` on `audit` (admins): one audit trail entry, as `GET /api/admin/audit` lists
 * it without its `id`. */
export interface AuditEntryData {
  occurred_at: string;
  /** What was done, e.g. `auth.login_failed`, `session.revoked`. */
  action: string;
  actor_id: number | null;
  actor_role: string | null;
  target_type: string | null;
  target_id: number | null;
  /** An edit's changed fields, before and after it. */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  detail: Record<string, unknown> | null;
  request_id: string | null;
  address: string | null;
}
export interface OfferData {
  offer_id: number;
  order_id: number;
  status: 'open' | 'withdrawn' | 'expired' | 'accepted' | 'declined' | string;
  expires_at: string;
  distance_m?: number | null;
  address?: string;
  lat?: number;
  lng?: number;
  price_cents?: number;
  notification_id?: number;
}

export type OrderStatusEvent = Envelope<'order.created' | 'order.status', OrderStatusData>;
export type LocationEvent = Envelope<'order.location', LocationData>;
export type WasherPositionEvent = Envelope<'washer.position', WasherPositionData>;
export type ChatMessageEvent = Envelope<'chat.message', ChatMessageData>;
export type OfferEvent = Envelope<'dispatch.offer' | 'dispatch.offer_withdrawn', OfferData>;
export type AuditEntryEvent = Envelope<'audit.entry', AuditEntryData>;
/** Events added later within the protocol version: ignore what you do not know. */
export type OtherEvent = Envelope<string, Record<string, unknown>>;
export type LiveEvent =
  | OrderStatusEvent
  | LocationEvent
  | WasherPositionEvent
  | ChatMessageEvent
  | OfferEvent
  | AuditEntryEvent
  | OtherEvent;

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'resumed' | 'closed';

// --- building blocks ------------------------------------------------------------------------

export declare function parseId(id: string | null | undefined): { offset: bigint; epoch: string } | null;

export declare class Positions {
  get(channel: string): string | undefined;
  set(channel: string, id: string): void;
  forget(channel: string): void;
  snapshot(): Record<string, string>;
  /** Records the id; false when the event was seen already. */
  accept(channel: string, id: string | null | undefined): boolean;
}

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}
export declare class Backoff {
  constructor(options?: BackoffOptions);
  attempt: number;
  next(): number;
  reset(): void;
  atLeast(attempt: number): void;
}

export declare function streamPath(channel: string, userId: number | null): string | null;
export declare function lastEventIdFor(
  path: string,
  positions: Record<string, string>,
  channels: Iterable<string>,
): string;

// --- tokens and REST ------------------------------------------------------------------------

export interface User {
  id: number;
  email: string;
  full_name: string;
  role: 'customer' | 'washer' | 'admin' | string;
  is_active: boolean;
  created_at: string;
}
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_at: string;
  user: User;
}

/** What a LiveConnection needs from a session. */
export interface TokenSource {
  readonly userId: number | null;
  accessToken(): Promise<string>;
  refresh(stale?: string): Promise<unknown>;
  /** Called with the new access token after each rotation; returns an unsubscribe function. */
  onRefresh(listener: (accessToken: string) => void): () => void;
}

export declare class TokenKeeper implements TokenSource {
  constructor(refresher: (refreshToken: string) => Promise<TokenPair>);
  readonly pair: TokenPair | null;
  readonly user: User | null;
  readonly userId: number | null;
  set(pair: TokenPair | null): void;
  msUntilRefresh(): number;
  accessToken(): Promise<string>;
  refresh(stale?: string): Promise<TokenPair>;
  onRefresh(listener: (accessToken: string) => void): () => void;
  stop(): void;
}

export interface Order {
  id: number;
  customer_id: number;
  vehicle_id: number;
  package_id: number;
  washer_id: number | null;
  status: string;
  price_cents: number;
  address: string;
  lat: number;
  lng: number;
  scheduled_for: string | null;
  notes: string | null;
  seq: number;
  version: number;
  created_at: string;
  updated_at: string;
}
export interface OrderDetail {
  order: Order;
  events: Array<{ seq: number; from_status: string | null; to_status: string; actor_id: number | null; actor_role: string; reason: string | null; occurred_at: string }>;
  allowed_transitions: string[];
}
export interface Offer {
  offer_id: number;
  order_id: number;
  status: string;
  offered_at: string;
  expires_at: string;
  distance_m: number | null;
  address: string;
  lat: number;
  lng: number;
  package_id: number;
  package_name: string;
  duration_minutes: number;
  price_cents: number;
}
export interface Message {
  order_id: number;
  seq: number;
  sender_id: number;
  sender_role: string;
  body: string;
  sent_at: string;
}
export interface MessagePage {
  items: Message[];
  receipts: Array<{ user_id: number; last_read_seq: number; read_at: string }>;
  next_before: number | null;
}
export interface Review {
  id: number;
  order_id: number;
  customer_id: number;
  washer_id: number;
  stars: number;
  comment: string | null;
  created_at: string;
}
export interface BookingRequest {
  vehicle_id: number;
  package_id: number;
  address: string;
  lat: number;
  lng: number;
  scheduled_for?: string;
  notes?: string;
}

export interface ClientOptions {
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export declare class WashlineClient {
  constructor(options?: ClientOptions);
  readonly baseUrl: string;
  readonly tokens: TokenKeeper;
  readonly user: User | null;
  login(email: string, password: string): Promise<User>;
  refresh(): Promise<TokenPair>;
  logout(): Promise<void>;
  live(options?: Omit<LiveOptions, 'tokens' | 'baseUrl'>): LiveConnection;
  packages(): Promise<Array<{ id: number; name: string; base_price_cents: number; duration_minutes: number }>>;
  addVehicle(vehicle: { make: string; model: string; plate: string; size: string; color?: string }): Promise<{ id: number }>;
  book(order: BookingRequest): Promise<Order>;
  order(orderId: number): Promise<OrderDetail>;
  transition(orderId: number, to: string, fields?: { reason?: string; washer_id?: number; expected_version?: number }): Promise<Order>;
  setAvailable(isAvailable: boolean): Promise<unknown>;
  offers(): Promise<Offer[]>;
  acceptOffer(offerId: number, reason?: string): Promise<Order>;
  declineOffer(offerId: number, reason?: string): Promise<Offer>;
  sendMessage(orderId: number, body: string): Promise<Message>;
  messages(orderId: number, params?: { before?: number; after?: number; limit?: number }): Promise<MessagePage>;
  markRead(orderId: number, upTo: number): Promise<{ user_id: number; last_read_seq: number; read_at: string }>;
  review(orderId: number, stars: number, comment?: string): Promise<Review>;
  share(orderId: number): Promise<ShareLink>;
  revokeShares(orderId: number): Promise<{ revoked: number }>;
  call<T = unknown>(method: string, path: string, body?: unknown, params?: Record<string, string>): Promise<T>;
}

// --- live -----------------------------------------------------------------------------------

export interface LiveOptions {
  baseUrl?: string;
  tokens: TokenSource;
  /** 'auto' (default): WebSocket, SSE when the server answers but WebSockets do not get through. */
  transport?: 'auto' | 'ws' | 'sse';
  onEvent?: (event: LiveEvent) => void;
  /** The channel's history is gone: reload its state over REST; the events that follow arrive. */
  onReset?: (channel: string) => void;
  onUnsubscribed?: (notice: { channel: string; code: string; message: string }) => void;
  /** The server ended the session (`access_revoked`: revoked, password changed, account
   * deactivated or erased; or a 4001 whose refresh is refused too). The connection has
   * stopped for good and does not reconnect: the user must log in again. */
  onEnded?: (ended: SessionEnded) => void;
  onState?: (state: ConnectionState) => void;
  requestTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Awaited before each reconnect attempt; a rejection counts as a failed attempt. */
  beforeReconnect?: (() => Promise<unknown>) | null;
  /** More SSE event names to listen to (EventSource needs every name). */
  sseEvents?: string[];
  WebSocket?: typeof WebSocket;
  EventSource?: typeof EventSource;
}

export interface SessionEnded {
  code: string;
  /** `session_revoked`, `password_changed`, `account_deactivated`, `account_erased`, or
   * `refresh_refused` when a 4001 came without a reason and the refresh was refused. */
  reason: string;
  message: string;
}

export declare class LiveConnection {
  constructor(options: LiveOptions);
  /** Set once the server ended the session (see `onEnded`); null otherwise. */
  readonly ended: SessionEnded | null;
  readonly positions: Positions;
  readonly channels: Set<string>;
  readonly connects: number;
  readonly state: ConnectionState;
  transport: 'auto' | 'ws' | 'sse';
  start(): Promise<void>;
  stop(): void;
  lastEventId(channel: string): string | undefined;
  subscribe(channel: string, options?: { since?: string | null }): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  request(op: string, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
  chat(orderId: number, body: string): Promise<number>;
  location(fix: LocationFix): Promise<LocationReply>;
}

// --- share links ----------------------------------------------------------------------------

export interface ShareLink {
  /** Shown once: only its hash is kept. */
  token: string;
  /** The tracking page, `/track/{token}`. */
  url: string;
  expires_at: string;
}
export interface SharedPosition {
  lat: number;
  lng: number;
  ts: string;
  heading?: number | null;
  speed?: number | null;
  distance_m?: number | null;
  eta_seconds?: number | null;
}
export interface SharedStatus {
  status: string;
  occurred_at?: string | null;
}
/** The destination as a map pin only, rounded to 3 decimal places (about 110 m). */
export interface SharedPin {
  lat: number;
  lng: number;
}
/** What a share link shows: no names, no address. */
export interface SharedOrder {
  status: string;
  position: SharedPosition | null;
  destination: SharedPin;
  expires_at: string;
  area: { south: number; west: number; north: number; east: number };
}
export declare const SHARE_EVENTS: string[];
export interface ShareFollowerOptions {
  baseUrl?: string;
  token: string;
  onSnapshot?: (order: SharedOrder) => void;
  onStatus?: (status: SharedStatus) => void;
  onLocation?: (position: SharedPosition) => void;
  /** Once: the link stopped working (`share_ended`, `share_not_found`). */
  onEnd?: (ended: { code: string; message: string }) => void;
  onState?: (state: 'connecting' | 'live' | 'reconnecting' | 'closed') => void;
  backoff?: BackoffOptions;
  EventSource?: typeof EventSource;
  fetch?: typeof fetch;
}
export declare class ShareFollower {
  constructor(options: ShareFollowerOptions);
  readonly state: 'idle' | 'connecting' | 'live' | 'reconnecting' | 'closed';
  start(): void;
  stop(): void;
}
