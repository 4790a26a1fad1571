// The admin's session: login, token storage (sessionStorage: gone when the tab closes),
// refresh before the access token expires, logout. Talks to /api/auth/* with plain fetch so
// that api.js can depend on it without a cycle.

const STORAGE_KEY = 'washline.dashboard.session';
const REFRESH_LEAD_MS = 60_000; // refresh this long before expiry (or halfway, if sooner)
const MIN_REFRESH_DELAY_MS = 1_000;

export class AuthError extends Error {
  constructor(message, { status = 0, code = '' } = {}) {
    super(message);
    this.name = 'AuthError';
    this.status = status;
    this.code = code;
  }
}

let session = load();
let refreshing = null; // the one refresh in flight: concurrent callers share it
let refreshTimer = 0;
const listeners = new Set();

function load() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    return stored && stored.accessToken && stored.refreshToken ? stored : null;
  } catch {
    return null;
  }
}

function save(next) {
  session = next;
  if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(STORAGE_KEY);
  scheduleRefresh();
  for (const listener of listeners) listener(session);
}

/** Called with the new session (or null) after every login, refresh and logout. */
export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentSession() {
  return session;
}

export function accessToken() {
  return session ? session.accessToken : null;
}

async function errorOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: keep the status line
  }
  const error = new AuthError(body.message || `${response.status} ${response.statusText}`, {
    status: response.status,
    code: body.code || '',
  });
  if (body.mfa_token) error.mfaToken = body.mfa_token;
  return error;
}

/** The token pair as we keep it. `expires_at` is the server's clock: the Date header of the
 * same response tells how far ours is off, so a skewed laptop still refreshes in time. */
function fromTokenPair(pair, response) {
  const serverDate = Date.parse(response.headers.get('date') || '');
  const skew = Number.isNaN(serverDate) ? 0 : serverDate - Date.now();
  const parsed = Date.parse(pair.expires_at) - (Math.abs(skew) > 2_000 ? skew : 0);
  const expiresAt = Number.isNaN(parsed) ? Date.now() + 5 * 60_000 : parsed;
  return {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    expiresAt,
    lifetimeMs: Math.max(1_000, expiresAt - Date.now()),
    user: pair.user,
  };
}

async function postJson(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
}

let pendingMfa = null; // { token, email }: a password accepted, its second factor owed

/** Whether a sign-in waits for the authenticator code (`completeSignIn`). */
export function awaitingCode() {
  return pendingMfa !== null;
}

/** Forget a sign-in that waits for its code (the user starts over). */
export function cancelSignIn() {
  pendingMfa = null;
}

/** Sign in; only administrators may use the console. An account with a second factor
 * answers `mfa_required`: this throws an AuthError with that code, and `completeSignIn`
 * finishes with the code from the app. */
export async function login(email, password) {
  pendingMfa = null;
  const response = await postJson('/api/auth/login', { email, password });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && error.code === 'mfa_required') {
      pendingMfa = { token: error.mfaToken, email };
      throw new AuthError('Enter the code from your authenticator app.', {
        status: 401,
        code: 'mfa_required',
      });
    }
    if (response.status === 401 || response.status === 400) {
      throw new AuthError('Wrong email or password.', { status: response.status });
    }
    if (response.status === 429) {
      throw new AuthError('Too many attempts. Wait a minute and try again.', { status: 429 });
    }
    throw error;
  }
  return accept(await response.json(), response, email);
}

/** The second step of a sign-in: the code from the authenticator app (or a recovery code). */
export async function completeSignIn(code) {
  if (!pendingMfa) throw new AuthError('Sign in with your password first.', { status: 401 });
  const { token, email } = pendingMfa;
  const response = await postJson('/api/auth/mfa', { mfa_token: token, code });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 400) {
      throw new AuthError('That code is wrong or was already used.', {
        status: 400,
        code: 'invalid_mfa_code',
      });
    }
    if (response.status === 429) {
      throw new AuthError('Too many codes. Wait a minute and try again.', { status: 429 });
    }
    if (response.status === 401) {
      pendingMfa = null;
      throw new AuthError('The sign-in expired. Enter your password again.', { status: 401 });
    }
    throw error;
  }
  pendingMfa = null;
  return accept(await response.json(), response, email);
}

function accept(pair, response, email) {
  if (!pair.user || pair.user.role !== 'admin') {
    // Do not keep a session the console cannot use; revoke its refresh token right away.
    postJson('/api/auth/logout', { refresh_token: pair.refresh_token }).catch(() => {});
    const role = pair.user ? pair.user.role : 'unknown';
    throw new AuthError(
      `This console is for administrators only; ${email} is signed up as a ${role}.`,
      { status: 403, code: 'forbidden' },
    );
  }
  save(fromTokenPair(pair, response));
  return session;
}

/** Rotate the refresh token for a new pair. Concurrent callers share one request; a refused
 * refresh ends the session (the caller shows the login form). */
export function refresh() {
  if (refreshing) return refreshing;
  const current = session;
  if (!current) return Promise.reject(new AuthError('not signed in', { status: 401 }));
  refreshing = (async () => {
    try {
      const response = await postJson('/api/auth/refresh', { refresh_token: current.refreshToken });
      if (response.status === 401 || response.status === 403 || response.status === 400) {
        save(null);
        throw new AuthError('Your session has ended. Please sign in again.', { status: 401 });
      }
      if (!response.ok) throw await errorOf(response);
      const pair = await response.json();
      save(fromTokenPair(pair, response));
      return session;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Refresh now when the access token is about to expire (used before connecting): less
 * than 30 s left, or a quarter of its lifetime for short-lived tokens. */
export async function ensureFresh() {
  if (!session) return session;
  const minValidityMs = Math.min(REFRESH_LEAD_MS / 2, (session.lifetimeMs || 0) / 4);
  if (session.expiresAt - Date.now() < minValidityMs) await refresh();
  return session;
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const remaining = session.expiresAt - Date.now();
  const lead = Math.min(REFRESH_LEAD_MS, remaining / 2);
  const delay = Math.max(MIN_REFRESH_DELAY_MS, remaining - lead);
  refreshTimer = setTimeout(() => {
    refresh().catch((error) => {
      // A network blip: try again soon; an ended session has already notified listeners.
      if (session && !(error instanceof AuthError && error.status === 401)) {
        refreshTimer = setTimeout(scheduleRefresh, 5_000);
      }
    });
  }, delay);
}

/** The server ended the session (revoked, password changed, account deactivated): forget it
 * here without asking the server, which refuses its tokens already. */
export function forgetSession() {
  save(null);
}

export async function logout() {
  const current = session;
  save(null);
  if (current) {
    try {
      await postJson('/api/auth/logout', { refresh_token: current.refreshToken });
    } catch {
      // the token expires by itself; nothing more to do offline
    }
  }
}

scheduleRefresh();
