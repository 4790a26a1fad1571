"""The share routes' per-address limits: which paths count, and the open-stream slots."""

from __future__ import annotations

import pytest

from app.http.errors import ApiError
from app.http.share_limits import SHARE_PATHS, StreamSlots

TOKEN = "A" * 43


@pytest.mark.parametrize(
    ("path", "counted"),
    [
        (f"/api/share/{TOKEN}", True),
        (f"/api/share/{TOKEN}/events", True),
        (f"/track/{TOKEN}", True),
        ("/track/static/track.js", False),
        ("/api/orders/1/share", False),
        ("/api/auth/login", False),
        (f"/api/share/{TOKEN}/other", False),
    ],
)
def test_only_the_public_share_routes_count(path: str, counted: bool) -> None:
    assert bool(SHARE_PATHS.match(path)) is counted


def test_an_address_gets_its_slots_back_once_per_stream() -> None:
    slots = StreamSlots(per_address=2)
    first = slots.take("10.0.0.1")
    slots.take("10.0.0.1")
    with pytest.raises(ApiError) as refused:
        slots.take("10.0.0.1")
    assert refused.value.status_code == 429 and refused.value.code == "rate_limited"
    assert refused.value.headers == {"Retry-After": "10"}
    slots.take("10.0.0.2")  # another address has its own
    first.release()
    first.release()  # both ways a stream ends may release: it counts once
    assert slots.open_for("10.0.0.1") == 1
    slots.take("10.0.0.1")
    assert slots.open_for("10.0.0.1") == 2
