"""The REST half of the SDK: accounts and sessions, and helpers for each step of a wash.

One client is one signed-in user. Every call carries a fresh access token (refreshed ahead
of expiry; a 401 gets one forced refresh and one retry). Refusals raise `ApiError` with the
server's `code`, `message` and `status` (and `retry_after` when the server said how long to
wait); a call that outlives its timeout raises `RequestTimeout`. Writes carry an
`Idempotency-Key`. Many clients (one per user of a program acting for several people) can
share one `httpx.AsyncClient` and its connection pool; a `RetryPolicy` makes them repeat
what is safe to repeat.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

import httpx
import msgspec

from washline_client.errors import ApiError
from washline_client.live import LiveConnection, Transport
from washline_client.models import (
    Message,
    MessagePage,
    Offer,
    Order,
    OrderDetail,
    OrderPage,
    Package,
    Quote,
    Receipt,
    Review,
    ShareLink,
    Vehicle,
    Washer,
)
from washline_client.retries import RetryPolicy
from washline_client.sender import Sender
from washline_client.tokens import TokenKeeper, TokenPair, User

T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0


class WashlineClient:
    """One signed-in user's view of a Washline server. Use as `async with`.

    `http`: an `httpx.AsyncClient` on the same server to send with (shared by many clients,
    and left open by `aclose`); by default the client makes and owns its own.
    `retry`: which failed requests to repeat (default: none)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self.sender = Sender(self.http, timeout, retry or RetryPolicy())
        self.tokens = TokenKeeper(self._refresh_pair)

    async def __aenter__(self) -> WashlineClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    @property
    def signed_in(self) -> bool:
        return self.tokens.signed_in

    @property
    def user(self) -> User:
        return self.tokens.user

    # -- sessions -----------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> User:
        body = await self._send("POST", "/api/auth/login", {"email": email, "password": password})
        self.tokens.set(msgspec.convert(body, TokenPair))
        return self.user

    async def register(self, email: str, password: str, full_name: str) -> User:
        """Create a customer account and sign in as it (409 `email_taken` when it exists)."""
        body = {"email": email, "password": password, "full_name": full_name}
        self.tokens.set(
            msgspec.convert(await self._send("POST", "/api/auth/register", body), TokenPair)
        )
        return self.user

    async def health(self) -> bool:
        """Whether the server answers at all (no token needed); `ApiError`/`WashlineError`
        when it does not."""
        await self._send("GET", "/health")
        return True

    async def refresh(self) -> TokenPair:
        """Rotate the tokens now (they are also rotated by themselves ahead of expiry)."""
        return await self.tokens.refresh()

    async def _refresh_pair(self, refresh_token: str) -> TokenPair:
        # Never repeated after a lost answer: a refresh token presented twice ends the session.
        body = await self.sender.send(
            "POST", "/api/auth/refresh", {"refresh_token": refresh_token}, repeatable=False
        )
        return msgspec.convert(body, TokenPair)

    def live(self, *, transport: Transport = "auto", **options: Any) -> LiveConnection:
        """A live connection as this user, sharing its tokens (see `LiveConnection`)."""
        return LiveConnection(
            self.base_url, self.tokens, transport=transport, request_timeout=self.timeout, **options
        )

    # -- the journey --------------------------------------------------------------------------

    async def packages(self) -> list[Package]:
        return _as(await self.call("GET", "/api/packages"), list[Package])

    async def add_vehicle(
        self, make: str, model: str, plate: str, size: str, color: str | None = None
    ) -> Vehicle:
        body = {"make": make, "model": model, "plate": plate, "size": size}
        if color is not None:
            body["color"] = color
        return _as(await self.call("POST", "/api/vehicles", body), Vehicle)

    async def vehicles(self) -> list[Vehicle]:
        return _as(await self.call("GET", "/api/vehicles"), list[Vehicle])

    async def quote(self, *, vehicle_id: int, package_id: int, lat: float, lng: float) -> Quote:
        """Today's price there; book with `quote_id` to pay exactly it (409 `quote_expired`
        once it lapsed)."""
        body = {"vehicle_id": vehicle_id, "package_id": package_id, "lat": lat, "lng": lng}
        return _as(await self.call("POST", "/api/quotes", body), Quote)

    async def orders(
        self, *, status: list[str] | None = None, limit: int = 20, offset: int = 0
    ) -> OrderPage:
        """The caller's orders (a washer's: those assigned to them), newest first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        return _as(await self.call("GET", "/api/orders", params=params), OrderPage)

    async def book(
        self,
        *,
        vehicle_id: int,
        package_id: int,
        address: str,
        lat: float,
        lng: float,
        scheduled_for: datetime | None = None,
        notes: str | None = None,
        quote_id: str | None = None,
    ) -> Order:
        body: dict[str, Any] = {
            "vehicle_id": vehicle_id,
            "package_id": package_id,
            "address": address,
            "lat": lat,
            "lng": lng,
        }
        if scheduled_for is not None:
            body["scheduled_for"] = scheduled_for.isoformat()
        if notes is not None:
            body["notes"] = notes
        if quote_id is not None:
            body["quote_id"] = quote_id
        return _as(await self.call("POST", "/api/orders", body), Order)

    async def order(self, order_id: int) -> OrderDetail:
        return _as(await self.call("GET", f"/api/orders/{order_id}"), OrderDetail)

    async def transition(self, order_id: int, to: str, **fields: Any) -> Order:
        """Move an order (`washer_id`, `reason`, `expected_version` as the server takes them)."""
        path = f"/api/orders/{order_id}/transitions"
        return _as(await self.call("POST", path, {"to": to, **fields}), Order)

    async def set_available(self, available: bool) -> None:
        await self.call("PUT", "/api/washers/me/availability", {"is_available": available})

    async def washer_profile(self) -> Washer:
        """The signed-in washer's own record (where the server last saw them, among others)."""
        return _as(await self.call("GET", "/api/washers/me"), Washer)

    async def create_washer(self, email: str, password: str, full_name: str) -> Washer:
        """Admin: a new washer account (409 `email_taken` when it exists)."""
        body = {"email": email, "password": password, "full_name": full_name}
        return _as(await self.call("POST", "/api/washers", body), Washer)

    async def washers(self, *, limit: int = 100, offset: int = 0) -> list[Washer]:
        """Admin: one page of washer accounts."""
        params = {"limit": limit, "offset": offset}
        return _as(await self.call("GET", "/api/washers", params=params), list[Washer])

    async def offers(self) -> list[Offer]:
        """The caller's open offers: what to show after (re)connecting."""
        return _as(await self.call("GET", "/api/washers/me/offers"), list[Offer])

    async def accept_offer(self, offer_id: int, reason: str | None = None) -> Order:
        """The order, now assigned to the caller; 409 `offer_unavailable` when it is over."""
        body = {"reason": reason} if reason else {}
        return _as(await self.call("POST", f"/api/offers/{offer_id}/accept", body), Order)

    async def decline_offer(self, offer_id: int, reason: str | None = None) -> Offer:
        body = {"reason": reason} if reason else {}
        return _as(await self.call("POST", f"/api/offers/{offer_id}/decline", body), Offer)

    async def send_message(self, order_id: int, body: str) -> Message:
        path = f"/api/orders/{order_id}/messages"
        return _as(await self.call("POST", path, {"body": body}), Message)

    async def messages(
        self,
        order_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> MessagePage:
        """Chat history: newest first (`before`), or oldest first from `after`."""
        params: dict[str, Any] = {"limit": limit}
        if before is not None:
            params["before"] = before
        if after is not None:
            params["after"] = after
        path = f"/api/orders/{order_id}/messages"
        return _as(await self.call("GET", path, params=params), MessagePage)

    async def mark_read(self, order_id: int, up_to: int) -> Receipt:
        path = f"/api/orders/{order_id}/messages/read"
        return _as(await self.call("POST", path, {"up_to": up_to}), Receipt)

    async def review(self, order_id: int, stars: int, comment: str | None = None) -> Review:
        body: dict[str, Any] = {"stars": stars}
        if comment is not None:
            body["comment"] = comment
        return _as(await self.call("POST", f"/api/orders/{order_id}/review", body), Review)

    async def share(self, order_id: int) -> ShareLink:
        """A share link of one of your orders: anyone holding it may watch the order on the
        way, read-only, without an account (`/track/{token}`)."""
        return _as(await self.call("POST", f"/api/orders/{order_id}/share"), ShareLink)

    async def revoke_shares(self, order_id: int) -> int:
        """End every share link of the order; how many were working."""
        body = await self.call("DELETE", f"/api/orders/{order_id}/share")
        return int(body["revoked"])

    # -- plumbing -----------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Any API call as the signed-in user; the decoded JSON body (None when empty)."""
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {}
        token = await self.tokens.access_token()
        try:
            return await self._send(method, path, json, params=params, token=token, **headers)
        except ApiError as refused:
            if refused.status != 401:
                raise
        await self.tokens.refresh(token)  # expired early, or revoked: one fresh try
        token = await self.tokens.access_token()
        return await self._send(method, path, json, params=params, token=token, **headers)

    async def _send(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        params: dict[str, Any] | None = None,
        token: str | None = None,
        **extra_headers: str,
    ) -> Any:
        return await self.sender.send(
            method, path, json, params=params, token=token, headers=extra_headers
        )


def _as(body: Any, kind: type[T]) -> T:
    return msgspec.convert(body, kind)
