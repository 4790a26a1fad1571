"""The REST floor: the least a Litestar app on this stack can do for the benchmark's mix.

    DATABASE_URL=... REDIS_URL=... JWT_SECRET=... python -m bench.api_floor --port 8001

Same paths, same JWT check (HS256 access tokens, role claim), same tables, and one raw
asyncpg query per route on a fixed pool (login: the lookup and the refresh token's insert).
No middleware, no ORM, no validation beyond what the queries need, no events, no outbox:
whatever Washline spends above this is the price of its framework use and its features.
Rows are encoded with msgspec in this process, as Washline's are.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import redis.asyncio as aioredis
import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.security.jwt import Token

from app.security import verify_password

JSON = "application/json"
_state: dict[str, Any] = {}


def _auth(request: Request[Any, Any, Any]) -> tuple[int, str]:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        raise NotAuthorizedException("missing token")
    token = Token.decode(header[7:], secret=_state["secret"], algorithm="HS256")
    return int(token.sub), str(token.extras.get("role", ""))


def _ok(value: Any, status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(value), media_type=JSON, status_code=status)


def _pool() -> asyncpg.Pool:
    return _state["pool"]


@get("/api/orders/{order_id:int}", sync_to_thread=False)
async def order_detail(request: Request[Any, Any, Any], order_id: int) -> Response[bytes]:
    user, role = _auth(request)
    rows = await _pool().fetch(
        "SELECT o.id, o.customer_id, o.washer_id, o.vehicle_id, o.package_id, o.status,"
        " o.price_cents, o.address, o.lat, o.lng, o.created_at, o.last_event_seq, o.version,"
        " e.seq, e.from_status, e.to_status, e.occurred_at"
        " FROM wash_order o LEFT JOIN order_event e ON e.order_id = o.id"
        " WHERE o.id = $1 ORDER BY e.seq",
        order_id,
    )
    if not rows or (role != "admin" and user not in (rows[0]["customer_id"], rows[0]["washer_id"])):
        raise HTTPException(status_code=404, detail="order not found")
    head = dict(rows[0])
    events = [
        {"seq": r["seq"], "from": r["from_status"], "to": r["to_status"], "at": r["occurred_at"]}
        for r in rows
        if r["seq"] is not None
    ]
    for key in ("seq", "from_status", "to_status", "occurred_at"):
        head.pop(key)
    return _ok({"order": head, "events": events, "seq": head["last_event_seq"]})


@get("/api/orders", sync_to_thread=False)
async def my_orders(
    request: Request[Any, Any, Any], limit: int = 20, offset: int = 0
) -> Response[bytes]:
    user, _ = _auth(request)
    rows = await _pool().fetch(
        "SELECT id, customer_id, washer_id, vehicle_id, package_id, status, price_cents,"
        " address, lat, lng, created_at, version, count(*) OVER () AS total"
        " FROM wash_order WHERE customer_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        user,
        limit,
        offset,
    )
    total = rows[0]["total"] if rows else 0
    items = [{k: v for k, v in r.items() if k != "total"} for r in rows]
    return _ok({"items": items, "total": total, "limit": limit, "offset": offset})


@get("/api/orders/{order_id:int}/messages", sync_to_thread=False)
async def chat_history(
    request: Request[Any, Any, Any], order_id: int, limit: int = 50
) -> Response[bytes]:
    user, _ = _auth(request)
    rows = await _pool().fetch(
        "SELECT m.seq, m.sender_id, m.sender_role, m.body, m.sent_at FROM chat_message m"
        " JOIN wash_order o ON o.id = m.order_id"
        " WHERE m.order_id = $1 AND (o.customer_id = $2 OR o.washer_id = $2)"
        " ORDER BY m.seq DESC LIMIT $3",
        order_id,
        user,
        limit,
    )
    return _ok({"items": [dict(r) for r in rows]})


@get("/api/me/notifications", sync_to_thread=False)
async def notifications(request: Request[Any, Any, Any], limit: int = 20) -> Response[bytes]:
    user, _ = _auth(request)
    rows = await _pool().fetch(
        "SELECT id, kind, payload, created_at, read_at FROM notification"
        " WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        user,
        limit,
    )
    return _ok([dict(r) for r in rows])


@get("/api/admin/washers/online", sync_to_thread=False)
async def washers_online(request: Request[Any, Any, Any]) -> Response[bytes]:
    _, role = _auth(request)
    if role != "admin":
        raise HTTPException(status_code=403, detail="admins only")
    members = await _state["redis"].hgetall("floor:presence:washers")
    return _ok(
        {"washers": [{"client_id": k.decode(), "info": v.decode()} for k, v in members.items()]}
    )


@post("/api/orders", sync_to_thread=False)
async def create_order(request: Request[Any, Any, Any]) -> Response[bytes]:
    user, _ = _auth(request)
    data = msgspec.json.decode(await request.body())
    now = datetime.now(UTC)
    row = await _pool().fetchrow(
        "WITH o AS (INSERT INTO wash_order (customer_id, vehicle_id, package_id, status,"
        " price_cents, address, lat, lng, last_event_seq, version, created_at, updated_at)"
        " SELECT $1, v.id, p.id, 'pending', p.base_price_cents, $4, $5, $6, 1, 1, $7, $7"
        " FROM vehicle v, service_package p WHERE v.id = $2 AND v.owner_id = $1 AND p.id = $3"
        " RETURNING *), e AS (INSERT INTO order_event (order_id, seq, actor_id, actor_role,"
        " to_status, occurred_at) SELECT id, 1, $1, 'customer', 'pending', $7 FROM o)"
        " SELECT id, customer_id, status, price_cents, created_at FROM o",
        user,
        data["vehicle_id"],
        data["package_id"],
        data["address"],
        data["lat"],
        data["lng"],
        now,
    )
    if row is None:
        raise HTTPException(status_code=404, detail="vehicle or package not found")
    return _ok(dict(row), 201)


@post("/api/orders/{order_id:int}/transitions", sync_to_thread=False)
async def transition(request: Request[Any, Any, Any], order_id: int) -> Response[bytes]:
    user, _ = _auth(request)
    msgspec.json.decode(await request.body())
    now = datetime.now(UTC)
    row = await _pool().fetchrow(
        "WITH o AS (UPDATE wash_order SET status = 'cancelled', version = version + 1,"
        " last_event_seq = last_event_seq + 1, updated_at = $3"
        " WHERE id = $1 AND customer_id = $2 AND status = 'pending'"
        " RETURNING id, customer_id, status, version, last_event_seq),"
        " e AS (INSERT INTO order_event (order_id, seq, actor_id, actor_role, from_status,"
        " to_status, occurred_at) SELECT id, last_event_seq, $2, 'customer', 'pending',"
        " 'cancelled', $3 FROM o) SELECT * FROM o",
        order_id,
        user,
        now,
    )
    if row is None:
        raise HTTPException(status_code=409, detail="invalid transition")
    return _ok(dict(row))


@post("/api/orders/{order_id:int}/messages", sync_to_thread=False)
async def post_chat(request: Request[Any, Any, Any], order_id: int) -> Response[bytes]:
    user, role = _auth(request)
    body = msgspec.json.decode(await request.body())["body"]
    for _ in range(5):  # seq is unique per order: a concurrent post may take ours
        try:
            row = await _pool().fetchrow(
                "INSERT INTO chat_message (order_id, seq, sender_id, sender_role, body, sent_at)"
                " SELECT o.id, COALESCE((SELECT max(seq) FROM chat_message WHERE order_id = o.id),"
                " 0) + 1, $2, $3, $4, $5 FROM wash_order o"
                " WHERE o.id = $1 AND (o.customer_id = $2 OR o.washer_id = $2)"
                " RETURNING seq, sent_at",
                order_id,
                user,
                role,
                body,
                datetime.now(UTC),
            )
        except asyncpg.UniqueViolationError:
            continue
        if row is None:
            raise HTTPException(status_code=404, detail="order not found")
        return _ok(dict(row), 201)
    raise HTTPException(status_code=409, detail="busy chat")


@post("/api/washers/me/location", sync_to_thread=False)
async def location_batch(request: Request[Any, Any, Any]) -> Response[bytes]:
    user, role = _auth(request)
    if role != "washer":
        raise HTTPException(status_code=403, detail="washers only")
    fixes = msgspec.json.decode(await request.body())["fixes"]
    await _pool().execute(
        "INSERT INTO track_point (washer_id, order_id, lat, lng, speed, accuracy, recorded_at)"
        " SELECT $1, (SELECT id FROM wash_order WHERE washer_id = $1 AND status = 'en_route'"
        " LIMIT 1), f.lat, f.lng, f.speed, f.accuracy, f.ts"
        " FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::timestamptz[])"
        " AS f(lat, lng, speed, accuracy, ts)",
        user,
        [f["lat"] for f in fixes],
        [f["lng"] for f in fixes],
        [f.get("speed") for f in fixes],
        [f.get("accuracy") for f in fixes],
        [datetime.fromisoformat(f["ts"]) for f in fixes],
    )
    return _ok({"accepted": len(fixes), "rejected": 0})


async def _new_refresh(user_id: int, family: str) -> str:
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await _pool().execute(
        "INSERT INTO refresh_token (user_id, token_hash, expires_at, family_id, created_at,"
        " updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        user_id,
        hashlib.sha256(raw.encode()).hexdigest(),
        now + timedelta(days=30),
        family,
        now,
    )
    return raw


def _access(user_id: int, role: str) -> str:
    now = datetime.now(UTC)
    token = Token(sub=str(user_id), exp=now + timedelta(minutes=15), iat=now, extras={"role": role})
    return token.encode(secret=_state["secret"], algorithm="HS256")


@post("/api/auth/login", sync_to_thread=False)
async def login(request: Request[Any, Any, Any]) -> Response[bytes]:
    data = msgspec.json.decode(await request.body())
    row = await _pool().fetchrow(
        "SELECT id, role, password_hash FROM user_account WHERE email = $1 AND is_active",
        data["email"],
    )
    if row is None or not await verify_password(row["password_hash"], data["password"]):
        raise HTTPException(status_code=401, detail="invalid credentials")
    refresh = await _new_refresh(row["id"], secrets.token_hex(16))
    return _ok({"access_token": _access(row["id"], row["role"]), "refresh_token": refresh})


@post("/api/auth/refresh", sync_to_thread=False)
async def refresh(request: Request[Any, Any, Any]) -> Response[bytes]:
    raw = msgspec.json.decode(await request.body())["refresh_token"]
    fresh = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = await _pool().fetchrow(
        "WITH old AS (UPDATE refresh_token SET revoked_at = $3, updated_at = $3"
        " WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $3"
        " RETURNING user_id, family_id), new AS (INSERT INTO refresh_token (user_id,"
        " token_hash, expires_at, family_id, created_at, updated_at)"
        " SELECT user_id, $2, $4, family_id, $3, $3 FROM old)"
        " SELECT u.id, u.role FROM old JOIN user_account u ON u.id = old.user_id",
        hashlib.sha256(raw.encode()).hexdigest(),
        hashlib.sha256(fresh.encode()).hexdigest(),
        now,
        now + timedelta(days=30),
    )
    if row is None:
        raise HTTPException(status_code=401, detail="invalid refresh token")
    return _ok({"access_token": _access(row["id"], row["role"]), "refresh_token": fresh})


@get("/health", sync_to_thread=False)
async def health() -> Response[bytes]:
    return _ok({"status": "ok"})


def build_app(database_url: str, redis_url: str, secret: str, pool_size: int) -> Litestar:
    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        _state["pool"] = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        _state["redis"] = aioredis.Redis.from_url(redis_url)
        _state["secret"] = secret
        try:
            yield
        finally:
            await _state["redis"].aclose()
            await _state["pool"].close()

    handlers = [
        order_detail,
        my_orders,
        chat_history,
        notifications,
        washers_online,
        create_order,
        transition,
        post_chat,
        location_batch,
        login,
        refresh,
        health,
    ]
    return Litestar(route_handlers=handlers, lifespan=[lifespan], debug=False, logging_config=None)


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--pool-size", type=int, default=20)
    args = parser.parse_args()
    app = build_app(
        os.environ["DATABASE_URL"],
        os.environ["REDIS_URL"],
        os.environ["JWT_SECRET"],
        args.pool_size,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", loop="uvloop")


if __name__ == "__main__":
    main()
