"""The SDK's de-duplication by id and the resume positions it sends."""

from __future__ import annotations

from washline_client.positions import Positions
from washline_client.sse import last_event_id, stream_path


def test_an_event_seen_already_is_dropped_and_a_later_one_kept() -> None:
    positions = Positions()
    assert [positions.accept("order:1", i) for i in ("1", "2", "2", "1", "3")] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert positions.get("order:1") == "3"


def test_ids_compare_as_numbers_within_an_epoch_and_a_new_epoch_is_new() -> None:
    positions = Positions()
    assert positions.accept("ops", "9-ab")
    assert positions.accept("ops", "10-ab")  # not a string comparison
    assert not positions.accept("ops", "9-ab")
    assert positions.accept("ops", "1-cd")  # history restarted (after a reset)
    assert positions.get("ops") == "1-cd"


def test_events_without_an_id_are_never_dropped() -> None:
    positions = Positions()
    assert positions.accept("order:1:chat", None)
    assert positions.accept("order:1:chat", None)
    assert positions.get("order:1:chat") is None


def test_a_since_given_by_the_app_is_the_resume_point() -> None:
    positions = Positions()
    positions.set("order:1", "4")
    assert not positions.accept("order:1", "4")
    assert positions.accept("order:1", "5")


def test_each_channel_has_its_stream_and_the_stream_its_resume_id() -> None:
    assert stream_path("order:7", 3) == "/api/orders/7/events"
    assert stream_path("order:7:chat", 3) == "/api/orders/7/events"
    assert stream_path("user:3", 3) == "/api/me/events"
    assert stream_path("user:4", 3) is None
    assert stream_path("ops", 3) == "/api/admin/stream"
    order = {"order:7": "3", "order:7:chat": "1", "ops": "5-x"}
    assert last_event_id("/api/orders/7/events", order, ["order:7", "order:7:chat"]) == (
        "order:7@3,order:7:chat@1"
    )
    assert last_event_id("/api/admin/stream", order, ["ops"]) == "5-x"
    assert last_event_id("/api/me/events", {}, ["user:3"]) == ""
