// Authorised JSON calls to the REST API. A 401 triggers one token refresh and one retry;
// every error becomes an ApiError carrying the server's stable `code`.

import { accessToken, refresh } from './auth.js';

const PAGE_SIZE = 100;
const MAX_PAGES = 30; // a console is not an export tool: bound what a reload may fetch

export class ApiError extends Error {
  constructor(message, { status = 0, code = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

async function send(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
}

export async function apiFetch(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401 && accessToken()) {
    await refresh(); // throws (and ends the session) when the refresh token is refused
    response = await send(path, options);
  }
  if (!response.ok) {
    let body = {};
    try {
      body = await response.json();
    } catch {
      // keep the status line
    }
    throw new ApiError(body.message || `${response.status} ${response.statusText}`, {
      status: response.status,
      code: body.code || '',
    });
  }
  return response.status === 204 ? null : response.json();
}

/** Like apiFetch, but a 404 (an endpoint this server does not have yet) is `null`. */
async function optional(path) {
  try {
    return await apiFetch(path);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

export const ACTIVE_STATUSES = ['pending', 'assigned', 'en_route', 'arrived', 'in_progress'];

export function fetchKpis() {
  return apiFetch('/api/admin/kpis');
}

export function fetchDashboardConfig() {
  return optional('/api/admin/dashboard');
}

/** Every washer (the list endpoint pages without a total: stop at a short page). */
export async function fetchAllWashers() {
  const washers = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const items = await apiFetch(`/api/washers?limit=${PAGE_SIZE}&offset=${page * PAGE_SIZE}`);
    washers.push(...items);
    if (items.length < PAGE_SIZE) break;
  }
  return washers;
}

/** Every order in an active status, following offset/total. */
export async function fetchActiveOrders() {
  const statuses = ACTIVE_STATUSES.map((s) => `status=${s}`).join('&');
  const orders = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const offset = page * PAGE_SIZE;
    const body = await apiFetch(`/api/orders?${statuses}&limit=${PAGE_SIZE}&offset=${offset}`);
    orders.push(...body.items);
    if (body.items.length === 0 || offset + body.items.length >= body.total) break;
  }
  return orders;
}

export function fetchOrder(orderId) {
  return apiFetch(`/api/orders/${encodeURIComponent(orderId)}`);
}

export function fetchMessages(orderId) {
  return apiFetch(`/api/orders/${encodeURIComponent(orderId)}/messages?limit=50`);
}

export function fetchTrack(orderId) {
  return optional(`/api/orders/${encodeURIComponent(orderId)}/track`);
}

/** Who a user is (name, email, role): the drill-down names the customer. */
export function fetchUser(userId) {
  return apiFetch(`/api/admin/users/${encodeURIComponent(userId)}`);
}

/** The newest order events on `ops`, oldest first: the feed's backfill when the page opens. */
export function fetchRecentEvents(limit = 50) {
  return optional(`/api/admin/events/recent?limit=${limit}`);
}

/** The newest entries of the audit trail, newest first: the audit panel's backfill. */
export async function fetchRecentAudit(limit = 20) {
  return (await apiFetch(`/api/admin/audit?limit=${limit}`)).items;
}

export function fetchMe() {
  return apiFetch('/api/me');
}
