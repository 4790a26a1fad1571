"""A washer's own live work over HTTP: batched location fixes and open dispatch offers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from app.dependencies import Injected
from app.http.answers import NAIVE_FIX_TIME
from app.http.auth import washer_only
from app.http.idempotency import IDEMPOTENT
from app.live.flows import LiveFlows
from app.principal import Principal
from app.schemas.location import FixResultOut, LocationBatchIn, LocationBatchOut
from app.schemas.offers import OfferOut
from app.services.offers import open_offers_of
from domain.location import LocationFix, check_timestamp
from realtime.location_pipeline import FixOutcome


class WasherLiveController(Controller):
    path = "/api/washers/me"
    tags = ["washers", "live"]
    guards = [washer_only]

    @post(
        "/location",
        status_code=HTTP_200_OK,
        summary="Upload location fixes (up to 100; e.g. stored while the phone was offline)",
        description="Each fix is checked as the WebSocket's `location` op checks it; the "
        "answer says, per fix, whether it was accepted or the `reason` it was refused. A fix "
        "whose `ts` carries no UTC offset refuses the whole batch: 400 `invalid_fix` with "
        "`reason` `bad_timestamp`.",
        refuses=(NAIVE_FIX_TIME,),
        **IDEMPOTENT,
    )
    async def upload_fixes(
        self,
        request: Request[Principal, Any, Any],
        data: LocationBatchIn,
        flows: Injected[LiveFlows],
    ) -> LocationBatchOut:
        for f in data.fixes:
            check_timestamp(f.ts)  # the whole batch is refused, as the WebSocket refuses it
        fixes = [
            LocationFix(f.lat, f.lng, f.ts, f.heading, f.speed, f.accuracy) for f in data.fixes
        ]
        pipeline = flows.pipeline
        results, newest = await pipeline.ingest_batch(request.user.id, fixes)
        ordered = sorted(fixes, key=lambda f: f.ts)
        out = [
            FixResultOut(
                ts=fix.ts,
                accepted=isinstance(r, FixOutcome),
                reason=None if isinstance(r, FixOutcome) else r,
            )
            for fix, r in zip(ordered, results, strict=True)
        ]
        accepted = sum(1 for r in out if r.accepted)
        return LocationBatchOut(
            accepted=accepted,
            rejected=len(out) - accepted,
            results=out,
            eta_seconds=newest.eta_seconds if newest else None,
            order_id=newest.order_id if newest else None,
        )

    @get(
        "/offers",
        summary="The calling washer's open dispatch offers (answer with /api/offers/{id}/...)",
    )
    async def open_offers(
        self, request: Request[Principal, Any, Any], db_session: AsyncSession
    ) -> list[OfferOut]:
        return await open_offers_of(db_session, request.user.id, datetime.now(UTC))
