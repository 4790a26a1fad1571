"""What each HTTP route can answer besides success, derived from the rules that answer.

The OpenAPI document (`app.http.openapi`) declares these per operation, and the contract tests
check the server against them, so a client learns every status and `code` from the document
alone. Most answers follow from what a route is, each in one rule here:

- it needs a token (not a public path): 401 `unauthorized`; a role guard adds 403 `forbidden`;
- it reads input: 400 `validation_error` / `malformed_json`; a JSON body adds 415;
- it names a resource in its path: 404 `not_found` (absent and invisible answered alike);
- it uses the database: 503 `database_unavailable` (with `Retry-After`), and a write may lose
  a race or clash with a uniqueness rule: 409 `conflict`;
- it takes an `Idempotency-Key` (`app.http.idempotency`): its 400, 409 and 422;
- it is throttled per address (`RATE_LIMITED_PATHS`, which `app.asgi` limits): 429 `rate_limited`.

What only a route's own service refuses is listed on the route with `refuses=(...)`, from the
catalogue at the end; a domain refusal's status comes from `app.http.errors.STATUS_BY_KIND`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from litestar.handlers import HTTPRouteHandler

from app.http.auth import AUTH_OPTIONAL, PUBLIC_PATHS, RoleGuard
from app.http.content_types import takes_json_body
from app.http.errors import STATUS_BY_KIND
from app.http.idempotency import OPT_KEY as IDEMPOTENT
from app.http.reads import READS
from domain.booking import OUTSIDE_SERVICE_AREA, TOO_MANY_OPEN_ORDERS
from domain.channels import TRACK_UNAVAILABLE
from domain.dispatch import OFFER_TTL
from domain.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Refusal
from domain.location import INVALID_FIX
from domain.offers import OFFER_UNAVAILABLE
from domain.order_transitions import FORBIDDEN, INVALID_TRANSITION, WASHER_REQUIRED
from domain.orders import WASHER_BUSY
from domain.quotes import QUOTE_EXPIRED as QUOTE_CODE
from domain.schedule import IN_THE_PAST, TOO_FAR_AHEAD
from domain.sharing import ORDER_FINISHED, SHARE_NOT_FOUND

REFUSES = "refuses"
"""Route keyword (Litestar keeps unknown ones in `opt`): the `Answer`s only this route's
service gives, e.g. `@post("/", refuses=(EMAIL_TAKEN, WEAK_PASSWORD))`."""
RATE_LIMITED_PATHS = frozenset({"/api/auth/login", "/api/auth/register", "/api/auth/mfa"})
"""The routes the per-address limit throttles (`app.asgi` applies it to exactly these)."""
DATABASE = "db_session"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PUBLIC = [re.compile(pattern) for pattern in PUBLIC_PATHS]


class Answer(NamedTuple):
    """One error a route can give: its status, its stable `code` and when it happens."""

    status: int
    code: str
    when: str


def refusal(kind: type[Refusal], code: str, when: str) -> Answer:
    """A domain refusal a service raises, at the status its kind maps to."""
    assert kind.default_kind is not None, "name a refusal class with a kind"
    return Answer(STATUS_BY_KIND[kind.default_kind], code, when)


UNAUTHORIZED = Answer(401, "unauthorized", "no token, or an invalid or expired one")
BAD_TOKEN = Answer(401, "unauthorized", "a token was sent but is invalid or expired")
VALIDATION = Answer(
    400, "validation_error", "a field or parameter is invalid; `errors` names each one"
)
MALFORMED = Answer(400, "malformed_json", "the body is not JSON")
TOO_DEEP = Answer(400, "json_too_deep", "the body is nested too deeply to be read")
NOT_JSON = Answer(415, "unsupported_media_type", "the body was declared as something else")
NOT_FOUND = Answer(404, "not_found", "absent, or not visible to the caller")
DATABASE_DOWN = Answer(503, "database_unavailable", "the database is away; retry after a pause")
RACE = Answer(409, "conflict", "another change won a race, or the change clashes; reload")
SECOND_FACTOR = Answer(
    403,
    "second_factor_required",
    "an admin signed in without a second factor where `ADMIN_MFA_REQUIRED` applies",
)
THROTTLED = Answer(429, "rate_limited", "too many requests from this address; see Retry-After")
IDEMPOTENCY = (
    Answer(400, "bad_idempotency_key", "`Idempotency-Key` is not 1-255 visible characters"),
    Answer(409, "idempotency_key_in_progress", "a request with this key is still running"),
    Answer(422, "idempotency_key_reused", "the key was used with a different body"),
)


def is_public(path: str) -> bool:
    """Whether the authentication middleware lets `path` through without a token."""
    return any(pattern.match(path) for pattern in _PUBLIC)


def needs_token(handler: HTTPRouteHandler, path: str) -> bool:
    return not is_public(path) and not handler.opt.get(AUTH_OPTIONAL)


def _auth(handler: HTTPRouteHandler, path: str) -> Iterator[Answer]:
    if needs_token(handler, path):
        yield UNAUTHORIZED
    elif handler.opt.get(AUTH_OPTIONAL):
        yield BAD_TOKEN
    for wrapped in handler.resolve_guards():
        guard = getattr(wrapped, "func", wrapped)  # Litestar wraps guards in `AsyncCallable`
        if isinstance(guard, RoleGuard):
            yield Answer(403, "forbidden", f"the caller is not {' or '.join(guard.roles)}")
            if "admin" in guard.roles:
                yield SECOND_FACTOR


def _input(handler: HTTPRouteHandler, kwargs: Any) -> Iterator[Answer]:
    takes_body = "data" in kwargs.expected_reserved_kwargs
    if (
        kwargs.expected_path_params
        or kwargs.expected_query_params
        or kwargs.expected_header_params
        or takes_body
    ):
        yield VALIDATION
    if takes_json_body(handler):
        yield from (MALFORMED, TOO_DEEP, NOT_JSON)
    if kwargs.expected_path_params:
        yield NOT_FOUND


def _depends_on(kwargs: Any, key: str) -> bool:
    """Whether the handler needs the dependency `key`, directly or through another one."""
    return any(container.key == key for batch in kwargs.dependency_batches for container in batch)


def _storage(handler: HTTPRouteHandler, kwargs: Any, path: str) -> Iterator[Answer]:
    if _depends_on(kwargs, DATABASE) or _depends_on(kwargs, READS):
        yield DATABASE_DOWN
        if handler.http_methods & WRITES:
            yield RACE
    if handler.opt.get(IDEMPOTENT):
        yield from IDEMPOTENCY
    if path in RATE_LIMITED_PATHS:
        yield THROTTLED


def answers_for(handler: HTTPRouteHandler, kwargs: Any, path: str) -> list[Answer]:
    """Every error `handler` (served at `path`, its kwargs model `kwargs`) can answer."""
    found = [
        *_auth(handler, path),
        *_input(handler, kwargs),
        *_storage(handler, kwargs, path),
        *handler.opt.get(REFUSES, ()),
    ]
    return list(dict.fromkeys(found))


# What only some routes' services refuse (the code raised there, documented here).
EMAIL_TAKEN = Answer(409, "email_taken", "an account with this email already exists")
WEAK_PASSWORD = Answer(400, "weak_password", "the password is too short or too common")
INVALID_ROLE = Answer(400, "invalid_role", "the role cannot be given to a user")
INVALID_CREDENTIALS = Answer(401, "invalid_credentials", "email or password is wrong")
MFA_REQUIRED = Answer(
    401,
    "mfa_required",
    "the password was right and the account has a second factor: the body carries an "
    "`mfa_token`; send it and a code to `POST /api/auth/mfa` within 5 minutes",
)
ACCOUNT_DISABLED = Answer(403, "account_disabled", "the account is disabled")
LOGIN_THROTTLED = Answer(429, "rate_limited", "too many failed logins for this account")
INVALID_REFRESH = Answer(401, "invalid_refresh_token", "unknown, expired or revoked")
VEHICLE_IN_USE = refusal(Conflict, "vehicle_in_use", "the vehicle has orders")
PACKAGE_NAME_TAKEN = refusal(Conflict, "package_name_taken", "a package has this name")
PACKAGE_IN_USE = refusal(Conflict, "package_in_use", "the package has orders; deactivate it")
OUTSIDE_AREA = refusal(Invalid, OUTSIDE_SERVICE_AREA, "the address is outside the area served")
QUOTE_EXPIRED = refusal(
    Conflict,
    QUOTE_CODE,
    "`quote_id` expired, was used, is another customer's or for another vehicle, package or "
    "place; the body carries the current `price_cents`, `base_price_cents`, `multiplier`, `zone`",
)
TOO_MANY_OPEN = refusal(Conflict, TOO_MANY_OPEN_ORDERS, "the customer has too many open orders")
SCHEDULE = (
    Answer(400, IN_THE_PAST, "`scheduled_for` is in the past"),
    Answer(400, TOO_FAR_AHEAD, "`scheduled_for` is past the booking window"),
)
UNKNOWN_PACKAGE = refusal(NotFound, "not_found", "no such active package")
WASHER_TAKEN = refusal(Conflict, WASHER_BUSY, "the washer already works another active order")
NAIVE_FIX_TIME = refusal(
    Invalid, INVALID_FIX, "a fix's `ts` carries no UTC offset (`reason`: `bad_timestamp`)"
)
TRANSITION = (
    refusal(Conflict, INVALID_TRANSITION, "nobody may make this move now"),
    refusal(Forbidden, FORBIDDEN, "this role may not make this move"),
    refusal(Invalid, WASHER_REQUIRED, "the move needs a washer and none was given"),
    refusal(Invalid, "unknown_washer", "`washer_id` names no active washer"),
    refusal(Conflict, "version_conflict", "`expected_version` is not the order's; reload"),
    refusal(Conflict, OFFER_UNAVAILABLE, "the offer expired, was withdrawn or answered"),
    WASHER_TAKEN,
)
OFFER_OVER = refusal(
    Conflict,
    OFFER_UNAVAILABLE,
    f"the offer is over: expired (offers last {OFFER_TTL.total_seconds():g} s), withdrawn "
    "(the order went to someone else or left `pending`), or already accepted or declined",
)
SHARE_MISSING = refusal(
    NotFound, SHARE_NOT_FOUND, "the link is unknown, revoked, expired or its order finished"
)
SHARE_FINISHED = refusal(Conflict, ORDER_FINISHED, "the order is finished: nothing to share")
SHARE_THROTTLED = Answer(
    429, "rate_limited", "too many requests (or open streams) from this address; see Retry-After"
)
"""The public share routes' per-address limits (`app.http.share_limits`)."""
TRACK_HIDDEN = refusal(Forbidden, TRACK_UNAVAILABLE, "the track shows only while on the way")
REVIEW = (
    refusal(Conflict, "order_not_completed", "only completed orders can be reviewed"),
    refusal(Conflict, "already_reviewed", "the order already has a review"),
)
CHAT = (
    refusal(Invalid, "empty_message", "the message body is empty"),
    refusal(Invalid, "message_too_long", "the message body is over 2,000 characters"),
    refusal(RateLimited, "rate_limited", "too many messages; see Retry-After"),
)
NOT_READY = Answer(503, "not_ready", "a dependency is down or the process drains; see `checks`")
KPIS_LOADING = Answer(503, "kpis_unavailable", "the KPIs are still loading")
PRESENCE_DOWN = Answer(503, "presence_unavailable", "presence is unavailable right now")
BAD_CHANNEL = Answer(400, "bad_channel", "not a channel name")
STREAM = (
    Answer(429, "too_many_connections", "the caller or address holds too many live streams"),
    Answer(503, "draining", "the server is restarting; reconnect and resume"),
)
