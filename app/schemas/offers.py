"""A dispatch offer as a washer sees it: enough of the order to decide, and until when."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from app.schemas.common import Reason
from domain.offers import OfferStatus


class OfferOut(msgspec.Struct):
    """One offer of a pending order to the calling washer.

    Carries every field of the `dispatch.offer` event's data, plus when it was made and the
    package. Accept with `POST /api/offers/{offer_id}/accept`, decline with `.../decline`.
    """

    offer_id: Annotated[int, msgspec.Meta(description="the offer; answer it by this id")]
    order_id: Annotated[int, msgspec.Meta(description="the order offered")]
    status: Annotated[
        OfferStatus,
        msgspec.Meta(description="`open` while it may be answered; else what became of it"),
    ]
    offered_at: Annotated[datetime, msgspec.Meta(description="when the offer was made")]
    expires_at: Annotated[
        datetime,
        msgspec.Meta(description="the offer can no longer be answered from this instant on"),
    ]
    distance_m: Annotated[
        float, msgspec.Meta(description="from the washer's position when offered, metres")
    ]
    address: str
    lat: float
    lng: float
    package_id: int
    package_name: str
    duration_minutes: Annotated[int, msgspec.Meta(description="the package's planned duration")]
    price_cents: Annotated[int, msgspec.Meta(description="the order's price")]


class OfferAnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    """The optional body of accepting or declining an offer (no body is the same as `{}`)."""

    reason: Annotated[
        Reason | None,
        msgspec.Meta(
            description="why: kept in the order's history when accepting, logged when declining"
        ),
    ] = None
