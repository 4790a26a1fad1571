"""Idempotency keys: a POST the mobile app retries after a dropped connection runs only once.

A client may send `Idempotency-Key` on the routes marked with `IDEMPOTENT`. The first request
with a key runs; its status, JSON body and the headers that matter are kept for
`KEY_LIFETIME`, per (user, method, path, key). A retry with the same body is answered with
that response (plus `Idempotent-Replayed: true`) without running the handler, so a retry never
books twice or posts a chat message twice. The same key with another body is refused
(`idempotency_key_reused`, 422), and so is a retry that arrives while the first is still
running (`idempotency_key_in_progress`, 409). Only 2xx and 4xx answers are kept, 429 excepted:
after a 5xx, a 429 or an exception the key is released so the client can try again.

A claim that never finishes (its process was killed, or the database went away before the
outcome or the release could be written) would otherwise hold its key as "in progress" for
the key's whole lifetime, refusing every retry with a promise to "retry shortly". A claim is
therefore a lease: one older than `IDEMPOTENCY_LEASE_SECONDS` with no outcome is taken to be
abandoned and the next request with the key runs. The lease must outlast any real request;
a request killed after its handler committed but before its outcome was stored can then run
a second time, which is the price of not holding keys hostage.

The keys live in the database (`persistence.models.IdempotencyKey`), the one store every pod
shares; inserting the key's row before the handler runs makes the unique constraint the lock.
Expired rows are purged lazily, a bounded batch each time a response is stored, and an
expired row met by a new request is replaced.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.enums import ParamType, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.openapi.spec import OpenAPIType, Operation, Schema
from litestar.openapi.spec import Parameter as OpenApiParameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.principal import Principal
from domain.errors import Conflict, Invalid, Refusal, RefusalKind
from persistence.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
OPT_KEY = "idempotent"
KEY_LIFETIME = timedelta(hours=24)
PURGE_BATCH = 100
"""Expired rows deleted each time a response is stored: bounded, so no request pays for a
backlog, yet steady traffic keeps the table at about a day's keys."""
STORED_HEADERS = frozenset({"content-type", "location", "etag"})
"""The response headers a replay repeats; the rest (request ids, dates) belong to each answer."""
_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")

HEADER_DOC = OpenApiParameter(
    name=HEADER,
    param_in=ParamType.HEADER,
    required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255, pattern=r"^[!-~]+$"),
    description=(
        "1-255 visible ASCII characters naming this request; a retry with the same key and "
        "body gets the first response back (with `Idempotent-Replayed: true`) instead of "
        "running again. Kept 24 h per user, method and path."
    ),
)


@dataclass
class IdempotentOperation(Operation):
    """The OpenAPI operation of an idempotent route: its own parameters plus the header.

    The middleware reads the header, not the handler, so it is documented here rather than
    as a handler parameter."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), HEADER_DOC]


IDEMPOTENT: dict[str, Any] = {"opt": {OPT_KEY: True}, "operation_class": IdempotentOperation}
"""Route decorator keywords (`@post(..., **IDEMPOTENT)`): accept `Idempotency-Key` and
document it as a header parameter of the operation."""


def parse_key(raw: bytes) -> str:
    """The key as sent, or a refusal: visible ASCII only, so it is stored and compared as is."""
    key = raw.decode("latin-1")
    if not _KEY_PATTERN.fullmatch(key):
        raise Invalid("bad_idempotency_key", f"{HEADER} must be 1-255 visible ASCII characters")
    return key


def request_hash(body: bytes) -> str:
    """SHA-256 of the body, of its canonical JSON when it is JSON, so that a retry that only
    orders its members or spaces its JSON differently still counts as the same request."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


@dataclass
class Captured:
    """The response as it went out, so that it can be stored."""

    status: int | None = None
    headers: list[list[str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    @property
    def storable(self) -> bool:
        """2xx and 4xx are the request's answer; 429 is not: it says "not now", and a retry
        of the same request must get its chance once the limit allows."""
        if self.status is None or self.status == 429:
            return False
        return 200 <= self.status < 300 or 400 <= self.status < 500


class IdempotencyStore:
    """The `idempotency_key` table, each step in its own short transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], lease: timedelta) -> None:
        self._sessions = session_factory
        self._lease = lease

    async def claim(
        self, user_id: int, method: str, path: str, key: str, digest: str
    ) -> tuple[int | None, IdempotencyKey | None]:
        """Insert the key's row: `(its id, None)` when this request won the key, else
        `(None, the row that holds it)`. An expired holder, or one still without an outcome
        past its lease (abandoned), is deleted and the insert retried."""
        scope = (
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.method == method,
            IdempotencyKey.path == path,
            IdempotencyKey.key == key,
        )
        for _ in range(3):
            now = datetime.now(UTC)
            row = IdempotencyKey(
                user_id=user_id,
                method=method,
                path=path,
                key=key,
                request_hash=digest,
                created_at=now,
                expires_at=now + KEY_LIFETIME,
            )
            async with self._sessions() as session:
                session.add(row)
                try:
                    await session.commit()
                    return row.id, None
                except IntegrityError:
                    await session.rollback()
                holder = await session.scalar(select(IdempotencyKey).where(*scope))
                if holder is None:
                    continue
                abandoned = holder.status is None and holder.created_at <= now - self._lease
                if holder.expires_at > now and not abandoned:
                    return None, holder
                await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == holder.id))
                await session.commit()
        raise Conflict("idempotency_key_in_progress", "the key is in use; retry shortly")

    async def complete(self, row_id: int, captured: Captured) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.id == row_id)
                .values(
                    status=captured.status,
                    body=bytes(captured.body).decode(),
                    headers=captured.headers,
                )
            )
            expired = (
                select(IdempotencyKey.id)
                .where(IdempotencyKey.expires_at < datetime.now(UTC))
                .limit(PURGE_BATCH)
            )
            await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(expired)))
            await session.commit()

    async def release(self, row_id: int) -> None:
        async with self._sessions() as session:
            await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
            await session.commit()


async def _read_body(receive: Receive) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return bytes(chunks)


async def _replay(holder: IdempotencyKey, send: Send) -> None:
    body = (holder.body or "").encode()
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in holder.headers or []
    ]
    headers += [
        (b"content-length", str(len(body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    await send({"type": "http.response.start", "status": holder.status or 200, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class IdempotencyMiddleware(ASGIMiddleware):
    """Runs around the handlers whose opt has `idempotent`; every other request passes by."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], lease: timedelta) -> None:
        self.store = IdempotencyStore(session_factory, lease)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raw = dict(scope["headers"]).get(HEADER.lower().encode())
        user = scope.get("user")
        handler = scope.get("route_handler")
        wanted = handler is not None and handler.opt.get(OPT_KEY) and scope.get("method") == "POST"
        if raw is None or not wanted or not isinstance(user, Principal):
            await next_app(scope, receive, send)
            return
        key = parse_key(raw)
        body = await _read_body(receive)
        digest = request_hash(body)
        row_id, holder = await self.store.claim(user.id, "POST", scope["path"], key, digest)
        if holder is not None:
            if holder.request_hash != digest:
                raise Refusal(
                    "idempotency_key_reused",
                    f"this {HEADER} was used with a different request body",
                    kind=RefusalKind.UNPROCESSABLE,
                )
            if holder.status is None:
                raise Conflict(
                    "idempotency_key_in_progress",
                    f"a request with this {HEADER} is still being processed; retry shortly",
                )
            await _replay(holder, send)
            return
        assert row_id is not None
        await self._run(row_id, body, scope, receive, send, next_app)

    async def _run(
        self, row_id: int, body: bytes, scope: Scope, receive: Receive, send: Send, app: ASGIApp
    ) -> None:
        """Run the handler on the body already read, store what it answered (or release)."""
        captured = Captured()
        body_sent = False

        async def replay_receive() -> Any:
            nonlocal body_sent
            if body_sent:
                return await receive()
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = [
                    [bytes(name).decode("latin-1"), bytes(value).decode("latin-1")]
                    for name, value in message.get("headers", [])
                    if bytes(name).decode("latin-1").lower() in STORED_HEADERS
                ]
            elif message["type"] == "http.response.body":
                captured.body += message.get("body", b"")
            await send(message)

        try:
            await app(scope, replay_receive, capture_send)
        except BaseException:
            await self.store.release(row_id)
            raise
        if captured.storable:
            try:
                await self.store.complete(row_id, captured)
                return
            except UnicodeDecodeError:
                pass
        await self.store.release(row_id)
