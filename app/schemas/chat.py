from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from app.schemas.common import Seq
from domain.ids import MAX_ID
from domain.text import Text

Body = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]


class MessageIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Body


class ReadIn(msgspec.Struct, forbid_unknown_fields=True):
    up_to: Seq


class MessageOut(msgspec.Struct):
    order_id: int
    seq: int
    sender_id: int
    sender_role: str
    body: str
    sent_at: datetime


class ReceiptOut(msgspec.Struct):
    user_id: int
    last_read_seq: int
    read_at: datetime


class MessagePageOut(msgspec.Struct):
    items: list[MessageOut]
    receipts: list[ReceiptOut]
    next_before: int | None


class NotificationOut(msgspec.Struct):
    id: int
    kind: str
    payload: dict[str, object]
    created_at: datetime
    read_at: datetime | None


class NotificationsReadIn(msgspec.Struct, forbid_unknown_fields=True):
    up_to_id: Annotated[int, msgspec.Meta(ge=0, le=MAX_ID)]


class UnreadCountOut(msgspec.Struct):
    unread: int
