"""The caller's notifications (also live on `user:{id}`): list, unread count, mark read."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.http.auth import requires_login
from app.http.controllers.params import IdCursor, Limit
from app.principal import Principal
from app.schemas.chat import NotificationOut, NotificationsReadIn, UnreadCountOut
from app.schemas.rows import from_row
from app.services import notifications
from persistence.notifications import NotificationRow


def notification_out(item: NotificationRow) -> NotificationOut:
    return from_row(NotificationOut, item)


class NotificationController(Controller):
    path = "/api/me/notifications"
    tags = ["notifications"]
    guards = [requires_login]

    @get("/", summary="The caller's notifications, newest first")
    async def list_notifications(
        self,
        request: Request[Principal, Any, Any],
        reads: AsyncSession,
        unread_only: bool = False,
        before: IdCursor = None,
        limit: Limit = 20,
    ) -> list[NotificationOut]:
        rows = await notifications.list_notifications(
            reads, request.user.id, unread_only=unread_only, before=before, limit=limit
        )
        return [notification_out(n) for n in rows]

    @get("/unread-count", summary="How many notifications the caller has not read")
    async def unread(
        self, request: Request[Principal, Any, Any], reads: AsyncSession
    ) -> UnreadCountOut:
        return UnreadCountOut(unread=await notifications.unread_count(reads, request.user.id))

    @post("/read", status_code=HTTP_200_OK, summary="Mark notifications up to an id as read")
    async def mark_read(
        self,
        request: Request[Principal, Any, Any],
        data: NotificationsReadIn,
        db_session: AsyncSession,
    ) -> UnreadCountOut:
        left = await notifications.mark_read(db_session, request.user.id, data.up_to_id)
        return UnreadCountOut(unread=left)
