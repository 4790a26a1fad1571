"""Washline's asyncio client: REST calls for a wash's journey and a live connection that
resumes every channel exactly where it stopped.

    async with WashlineClient("https://api.example") as client:
        await client.login(email, password)
        async with client.live() as live:
            await live.subscribe(f"order:{order_id}", since="0")
            async for item in live:
                ...
"""

from washline_client.backoff import Backoff
from washline_client.errors import (
    ACCESS_REVOKED,
    ApiError,
    ConnectionRefused,
    LiveError,
    NotConnected,
    RequestTimeout,
    SessionEnded,
    WashlineError,
)
from washline_client.events import (
    ChatMessageData,
    Event,
    LiveItem,
    LocationData,
    LocationFix,
    LocationReply,
    OfferData,
    OrderStatusData,
    Reset,
    Unsubscribed,
    WasherPosition,
    WasherPositionData,
)
from washline_client.live import LiveConnection
from washline_client.models import (
    Message,
    MessagePage,
    Offer,
    Order,
    OrderDetail,
    OrderPage,
    Package,
    Quote,
    Review,
    ShareLink,
    Vehicle,
    Washer,
)
from washline_client.rest import WashlineClient
from washline_client.retries import RetryPolicy, retry_after
from washline_client.tokens import TokenKeeper, TokenPair, User

__all__ = [
    "ACCESS_REVOKED",
    "ApiError",
    "Backoff",
    "ChatMessageData",
    "ConnectionRefused",
    "Event",
    "LiveConnection",
    "LiveError",
    "LiveItem",
    "LocationData",
    "LocationFix",
    "LocationReply",
    "Message",
    "MessagePage",
    "NotConnected",
    "Offer",
    "OfferData",
    "Order",
    "OrderDetail",
    "OrderPage",
    "OrderStatusData",
    "Package",
    "Quote",
    "RequestTimeout",
    "Reset",
    "RetryPolicy",
    "Review",
    "SessionEnded",
    "ShareLink",
    "TokenKeeper",
    "TokenPair",
    "Unsubscribed",
    "User",
    "Vehicle",
    "Washer",
    "WasherPosition",
    "WasherPositionData",
    "WashlineClient",
    "WashlineError",
    "retry_after",
]
