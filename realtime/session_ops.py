"""A two-way transport's client frames: size and rate limits, decoding, then the op.

`subscribe`, `unsubscribe`, `ping` and `auth` belong to the session itself; every other op
(`location`, `chat`, `typing`) goes to the handler the app registered in the session's
context. Whatever one op does wrong, the connection and its subscriptions go on: the op is
answered with an error, and only a flood or an oversized frame ends the connection.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from realtime import protocol
from realtime.broker import BrokerUnavailable
from realtime.close_codes import MESSAGE_TOO_BIG, TOO_MANY_OPS
from realtime.envelope import iso_utc
from realtime.session import LiveSession

log = logging.getLogger(__name__)


async def handle_frame(session: LiveSession, payload: str | bytes) -> None:
    """One client frame: size and rate limits, decoding, then its op."""
    if len(payload) > session.context.limits.max_frame_bytes:
        session.subscriber.close(MESSAGE_TOO_BIG, "frame too big")
        return
    budget = session.budget
    assert budget is not None, "one-way transports take no ops"
    if not budget.take():
        if budget.abusive:
            message = "too many ops; connection closed"
            session.end(TOO_MANY_OPS, "too many ops", protocol.error("rate_limited", message))
        else:
            session.refuse("rate_limited", "too many ops; slow down")
        return
    try:
        op = protocol.decode_op(payload)
    except protocol.ProtocolError as exc:
        session.refuse(exc.code, exc.message, exc.ref)
        return
    try:
        await _dispatch(session, op)
    except protocol.ProtocolError as exc:
        session.refuse(exc.code, exc.message, exc.ref if exc.ref is not None else op.ref)
    except BrokerUnavailable:
        session.refuse("redis_unavailable", "live delivery is unavailable; retry shortly", op.ref)
    except Exception as exc:
        name = type(op).__name__.lower()
        outage = session.context.outage
        if outage.is_outage(exc):
            # The database is away: this op cannot be served now, but the connection, its
            # subscriptions and every op that needs no database go on; the client retries.
            log.warning("live op %s: %s (%s)", name, outage.code, type(exc).__name__)
            message = "a service this op needs is unavailable right now; retry shortly"
            session.send(
                protocol.error(outage.code, message, op.ref, retry_after=outage.retry_after)
            )
            return
        # One op's unexpected failure (a bug) must not cost the client its
        # connection and subscriptions: log it and answer that op alone.
        log.exception("live op %s failed", name)
        session.refuse("internal_error", "the server could not handle this op; retry", op.ref)


async def _dispatch(session: LiveSession, op: protocol.ClientOp) -> None:
    if isinstance(op, protocol.Subscribe):
        await session.subscribe(op.channel, op.since, op.ref)
        session.send(protocol.reply(op.ref, channel=op.channel))
    elif isinstance(op, protocol.Unsubscribe):
        await session.unsubscribe(op.channel)
        session.send(protocol.reply(op.ref, channel=op.channel))
    elif isinstance(op, protocol.Ping):
        session.send(protocol.reply(op.ref, pong=True))
    elif isinstance(op, protocol.Auth):
        _reauthenticate(session, op)
    elif (handler := session.context.op_handlers.get(type(op))) is not None:
        await handler(session, op)
    else:
        name = type(op).__name__.lower()
        session.refuse("unsupported_op", f"op {name} is not available", op.ref)


def _reauthenticate(session: LiveSession, op: protocol.Auth) -> None:
    """A fresh token of the same user extends the session; any other token is refused and
    the session keeps its old expiry."""
    principal = session.context.verify_token(op.token)
    if principal is None or principal.id != session.principal.id:
        raise protocol.ProtocolError("unauthorized", "token is invalid or for another user", op.ref)
    session.renew(principal)
    session.send(
        protocol.reply(
            op.ref,
            expires_at=iso_utc(datetime.fromtimestamp(principal.expires_at, UTC)),
            expires_at_epoch=principal.expires_at,
        )
    )
