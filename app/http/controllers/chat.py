"""Order chat over HTTP: post, history with cursor pagination, read receipts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.answers import CHAT
from app.http.auth import requires_login
from app.http.controllers.params import Limit, SeqCursor, id_path
from app.http.idempotency import IDEMPOTENT
from app.live.flows import LiveFlows
from app.principal import Principal
from app.schemas.chat import MessageIn, MessageOut, MessagePageOut, ReadIn, ReceiptOut
from app.schemas.rows import from_row
from app.services import chat
from persistence.chat import MessageRow, Receipt
from persistence.models import ChatMessage, ChatRead
from realtime.hub import Hub

OrderId = id_path("order id")


def message_out(message: ChatMessage | MessageRow) -> MessageOut:
    return from_row(MessageOut, message)


def receipt_out(receipt: ChatRead | Receipt) -> ReceiptOut:
    return from_row(ReceiptOut, receipt)


class ChatController(Controller):
    path = "/api/orders/{order_id:int}/messages"
    tags = ["chat"]
    guards = [requires_login]

    @post(
        "/",
        summary="Send a chat message (its customer, its washer, admins)",
        refuses=CHAT,
        **IDEMPOTENT,
    )
    async def post_message(
        self,
        request: Request[Principal, Any, Any],
        data: MessageIn,
        db_session: AsyncSession,
        flows: Injected[LiveFlows],
        order_id: int = OrderId,
    ) -> MessageOut:
        limiter = flows.chat_limiter
        message = await chat.post_message(db_session, request.user, order_id, data.body, limiter)
        return message_out(message)

    @get("/", summary="Chat history: newest first (before=seq), or oldest first (after=seq)")
    async def list_messages(
        self,
        request: Request[Principal, Any, Any],
        reads: AsyncSession,
        order_id: int = OrderId,
        before: SeqCursor = None,
        after: SeqCursor = None,
        limit: Limit = 50,
    ) -> MessagePageOut:
        messages, receipts = await chat.list_messages(
            reads, request.user, order_id, before=before, after=after, limit=limit
        )
        next_before = messages[-1].seq if after is None and len(messages) == limit else None
        return MessagePageOut(
            items=[message_out(m) for m in messages],
            receipts=[receipt_out(r) for r in receipts],
            next_before=next_before,
        )

    @post("/read", status_code=HTTP_200_OK, summary="Move the caller's read receipt forward")
    async def mark_read(
        self,
        request: Request[Principal, Any, Any],
        data: ReadIn,
        db_session: AsyncSession,
        hub: Injected[Hub],
        order_id: int = OrderId,
    ) -> ReceiptOut:
        receipt = await chat.mark_read(db_session, request.user, order_id, data.up_to)
        await chat.announce_read(hub, receipt)
        return receipt_out(receipt)
