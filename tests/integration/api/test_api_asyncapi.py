"""`/asyncapi.json` (`app.asyncapi`): a valid AsyncAPI 3.0 document, checked against the
official JSON Schema kept in tests/support/asyncapi, made from the server's own frame types."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asyncapi import document
from app.services.chat import message_payload
from domain.events import ALL_EVENT_TYPES
from persistence.models import ChatMessage
from realtime import protocol
from realtime.envelope import Envelope
from tests.support.api import expect

Client = AsyncTestClient[Litestar]
SCHEMA = Path(__file__).parents[2] / "support" / "asyncapi" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    """The official schema bundles every definition it refers to: nothing is fetched."""
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))


def errors(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


async def test_the_served_document_is_valid_asyncapi_3(
    api: Client, validator: jsonschema.Draft7Validator
) -> None:
    document = expect(await api.get("/asyncapi.json"), 200)
    assert document["asyncapi"] == "3.0.0"
    assert errors(validator, document) == []
    broken = copy.deepcopy(document)
    broken["operations"]["sendOp"]["action"] = "publish"  # the 2.x word, refused by 3.0
    assert errors(validator, broken) != []


async def test_it_describes_every_op_frame_and_event_the_server_knows(api: Client) -> None:
    document = expect(await api.get("/asyncapi.json"), 200)
    schemas = document["components"]["schemas"]
    messages = document["components"]["messages"]
    assert {m["name"] for k, m in messages.items() if k.startswith("op_")} == protocol.OP_NAMES
    assert {m["name"] for k, m in messages.items() if k.startswith("event_")} == ALL_EVENT_TYPES
    frames = {m["name"] for k, m in messages.items() if k.startswith("frame_")}
    assert frames == {"reply", "error", "event", "reset", "unsubscribed"}
    assert schemas["Subscribe"]["properties"]["op"]["enum"] == ["subscribe"]
    assert set(schemas["Location"]["required"]) == {"op", "lat", "lng", "ts"}
    assert schemas["ErrorFrame"]["properties"]["type"]["enum"] == ["error"]
    assert set(document["channels"]) == {
        "ws",
        "orderEvents",
        "myEvents",
        "adminStream",
        "shareEvents",
        "auditEvents",
        "pricingStream",
    }
    share = document["channels"]["shareEvents"]["messages"]
    assert {messages[ref["$ref"].rpartition("/")[2]]["name"] for ref in share.values()} == {
        "share.snapshot",
        "share.status",
        "share.location",
        "end",
    }
    assert set(schemas["SharedOrder"]["required"]) >= {"status", "destination", "area"}
    assert set(schemas["SharedPin"]["properties"]) == {"lat", "lng"}
    for name in ("SharedOrder", "SharedStatus", "SharedPin"):
        fields = set(schemas[name]["properties"])
        assert not any("name" in field or "address" in field for field in fields), fields
    assert "customer_id" not in str(schemas["SharedOrder"]) + str(schemas["SharedPosition"])
    location = messages["event_order_location"]["payload"]["allOf"][1]["properties"]["data"]
    assert location == {"$ref": "#/components/schemas/OrderLocationData"}
    assert {"lat", "lng", "heading", "speed", "ts", "eta_seconds"} <= set(
        schemas["OrderLocationData"]["properties"]
    )
    zone_data = messages["event_surge_zone"]["payload"]["allOf"][1]["properties"]["data"]
    assert zone_data == {"$ref": "#/components/schemas/ZonePriceData"}
    assert {"zone", "multiplier", "demand", "supply", "hotspot"} <= set(
        schemas["ZonePriceData"]["required"]
    )
    kpi_data = messages["event_kpi_tick"]["payload"]["allOf"][1]["properties"]["data"]
    assert {"orders_by_status", "washers", "sla"} <= set(schemas["KpiSnapshot"]["properties"])
    assert kpi_data == {"$ref": "#/components/schemas/KpiSnapshot"}
    status_data = messages["event_order_status"]["payload"]["allOf"][1]["properties"]["data"]
    assert status_data == {"$ref": "#/components/schemas/OrderEventData"}
    assert {"order_id", "seq", "status", "from_status"} <= set(
        schemas["OrderEventData"]["required"]
    )


def test_frames_the_server_encodes_match_their_documented_schema(
    validator: jsonschema.Draft7Validator,
) -> None:
    """What the server puts on the wire validates against the schemas the document holds."""
    schemas = document()["components"]["schemas"]

    def check(name: str, frame: bytes) -> None:
        schema = {**schemas[name], "components": {"schemas": schemas}}  # refs resolve here
        jsonschema.validate(json.loads(frame), schema)

    check("Reply", protocol.reply(3, channel="order:1"))
    check("ErrorFrame", protocol.error("forbidden", "no", "r1"))
    check("UnsubscribedFrame", protocol.unsubscribed("order:1", "forbidden", "gone"))
    check("EventFrame", Envelope.create("order:1", "3", "order.status", {"x": 1}).ws_frame)
    message = ChatMessage(
        order_id=7, seq=2, sender_id=3, sender_role="customer", body="hi", sent_at=datetime.now(UTC)
    )
    check("ChatMessageData", json.dumps(message_payload(message)).encode())
    with pytest.raises(jsonschema.ValidationError):
        check("ErrorFrame", protocol.reply(3))


def test_the_callers_stream_documents_the_copies_of_their_orders_events(
    validator: jsonschema.Draft7Validator,
) -> None:
    """`user:{id}` carries, besides offers, a copy of each `order.created` and `order.status`
    of the user's own orders; every event there is a stored notification."""
    full = document()
    schemas, messages = full["components"]["schemas"], full["components"]["messages"]
    mine = full["channels"]["myEvents"]["messages"]
    named = {messages[ref["$ref"].rpartition("/")[2]]["name"]: ref for ref in mine.values()}
    assert {"order.created", "order.status", "dispatch.offer"} <= set(named)
    assert "order.created" in full["info"]["description"].split("user: ")[1].split(";")[0]

    def data_schema(name: str) -> dict[str, Any]:
        message = messages[named[name]["$ref"].rpartition("/")[2]]
        data = message["payload"]["allOf"][1]["properties"]["data"]
        return {**data, "components": {"schemas": schemas}}

    status = {
        "order_id": 4,
        "seq": 2,
        "status": "assigned",
        "from_status": "pending",
        "customer_id": 1,
        "washer_id": 2,
        "price_cents": 2300,
        "actor_role": "admin",
        "actor_id": 3,
        "reason": None,
        "occurred_at": "2026-12-02T14:26:14.883485+00:00",
        "created_at": "2026-12-02T14:20:00+00:00",
        "scheduled_for": None,
        "lat": 30.27,
        "lng": -97.74,
    }
    for name in ("order.created", "order.status"):
        jsonschema.validate({"notification_id": 9, **status}, data_schema(name))
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(status, data_schema(name))  # the notification's id is there
    assert errors(validator, full) == []
