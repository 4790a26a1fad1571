"""Hostile frames on `/ws` against a real server, with a neighbour watching.

A fuzzing client, signed in as each role, sends what `tests.fuzz.frames` generates:
malformed and non-object JSON, wrong types, unknown ops, NUL characters, huge ids, frames
nested thousands deep, frames over the size limit, binary frames and floods. After every
example it pings and waits for the answer, so each frame has been handled before the next.
The gate fails on an `internal_error` frame, on any close except 1009 for an oversized
frame, on a handshake refused with a 5xx, and when a second, well-behaved connection misses
an event published while the fuzzer was at work.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.fuzz.conftest import LOGINS, FuzzTarget
from tests.fuzz.frames import EXAMPLES, Send

pytestmark = pytest.mark.e2e

EXAMPLE_COUNT = int(os.environ.get("FUZZ_EXAMPLES", "60"))
TIMEOUT = 15.0
TOO_BIG = 1009
# The neighbour watches the ops channel for the orders booked during the fuzz; one booking
# every this many examples.
PUBLISH_EVERY = 6

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLE_COUNT,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def open_socket(target: FuzzTarget, token: str) -> ClientConnection:
    """A `/ws` connection authenticated by subprotocol, as browsers do."""
    return connect(
        target.ws_url,
        subprotocols=["washline.v1", f"bearer.{token}"],  # type: ignore[list-item]
        open_timeout=TIMEOUT,
        max_size=None,
    )


@dataclass
class Neighbour:
    """An admin connection subscribed to `ops` that reads every frame in a thread."""

    connection: ClientConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False

    def read(self) -> None:
        try:
            for message in self.connection:
                with self.arrived:
                    self.frames.append(json.loads(message))
                    self.arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self.arrived:
                self.closed = True
                self.arrived.notify_all()

    def created_orders(self) -> set[int]:
        return {
            frame["data"]["order_id"]
            for frame in self.frames
            if frame.get("type") == "event" and frame.get("event") == "order.created"
        }

    def wait_for_orders(self, order_ids: set[int]) -> set[int]:
        """Wait (bounded) until every order's `order.created` arrived; returns the missing."""
        with self.arrived:
            self.arrived.wait_for(
                lambda: self.closed or order_ids <= self.created_orders(), timeout=TIMEOUT
            )
            return order_ids - self.created_orders()


@pytest.fixture
def neighbour(target: FuzzTarget) -> Iterator[Neighbour]:
    watcher = Neighbour(open_socket(target, target.log_in("admin")))
    reader = threading.Thread(target=watcher.read, daemon=True)
    reader.start()
    watcher.connection.send(json.dumps({"op": "subscribe", "channel": "ops", "ref": "ops"}))
    with watcher.arrived:
        assert watcher.arrived.wait_for(
            lambda: any(f.get("ref") == "ops" for f in watcher.frames), timeout=TIMEOUT
        )
    assert watcher.frames[-1].get("type") == "reply", watcher.frames
    try:
        yield watcher
    finally:
        watcher.connection.close()
        reader.join(TIMEOUT)


class Booker:
    """Books orders over REST as a customer who is not fuzzing: the events to watch for."""

    def __init__(self, target: FuzzTarget) -> None:
        self.client = httpx.Client(base_url=target.base_url, timeout=TIMEOUT)
        email, password = "customer2@washline.test", LOGINS["customer"][1]
        login = self.client.post("/api/auth/login", json={"email": email, "password": password})
        self.client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        self.vehicle_id = self.client.get("/api/vehicles").json()[0]["id"]
        self.booked: set[int] = set()

    def book(self) -> None:
        body = {
            "vehicle_id": self.vehicle_id,
            "package_id": 1,
            "address": "100 Congress Ave, Austin",
            "lat": 30.2672,
            "lng": -97.7431,
        }
        response = self.client.post("/api/orders", json=body)
        assert response.status_code == 201, response.text
        self.booked.add(response.json()["id"])


class Fuzzer:
    """The fuzzing connection: sends examples, then proves it still answers."""

    def __init__(self, target: FuzzTarget, role: str) -> None:
        self.target = target
        self.role = role
        self.probes = itertools.count(1)
        self.problems: list[str] = []
        self.connection = self.connect()

    def connect(self) -> ClientConnection:
        return open_socket(self.target, self.target.log_in(self.role))

    def send(self, sends: list[Send]) -> None:
        """Send the frames up to the first oversized one (the server closes there)."""
        too_big = next((i for i, send in enumerate(sends) if send.too_big), None)
        if too_big is not None:
            sends = sends[: too_big + 1]
        try:
            now = datetime.now(UTC).isoformat()
            for send in sends:
                self.connection.send(send.wire(now))
            self.probe(sends)
            if too_big is not None:
                self.problems.append(f"an oversized frame left the socket open: {sends[-1]}")
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            # The server closes with 1009 on reading an oversized frame's header, often
            # while the client is still writing it: the reset then loses the close frame.
            if too_big is None or code not in (TOO_BIG, None):
                self.problems.append(f"closed with {code} after {sends[:3]}")
            self.connection = self.connect()

    def probe(self, sends: list[Send]) -> None:
        """Ping and read up to the answer, looking at every frame on the way."""
        ref = f"probe-{next(self.probes)}"
        self.connection.send(json.dumps({"op": "ping", "ref": ref}))
        while True:
            frame = json.loads(self.connection.recv(timeout=TIMEOUT))
            if frame.get("type") == "error" and frame.get("code") == "internal_error":
                self.problems.append(f"internal_error {frame} after {sends[:3]}")
            if frame.get("ref") == ref:
                assert frame.get("type") == "reply", frame
                return


@pytest.mark.parametrize("role", list(LOGINS))
def test_hostile_frames_never_break_the_socket_or_a_neighbour(
    target: FuzzTarget, role: str, neighbour: Neighbour
) -> None:
    booker = Booker(target)
    fuzzer = Fuzzer(target, role)
    examples = itertools.count()

    @FUZZ_SETTINGS
    @given(sends=EXAMPLES)
    def fuzz(sends: list[Send]) -> None:
        if next(examples) % PUBLISH_EVERY == 0:
            booker.book()
        fuzzer.send(sends)

    try:
        fuzz()
    finally:
        fuzzer.connection.close()
        booker.client.close()
    assert not fuzzer.problems, "\n".join(fuzzer.problems[:20])
    assert booker.booked, "nothing was published during the fuzz"
    missing = neighbour.wait_for_orders(booker.booked)
    assert not missing, f"the neighbour missed order.created for {sorted(missing)}"
    assert not neighbour.closed, "the neighbour's connection closed"
    assert httpx.get(f"{target.base_url}/health", timeout=TIMEOUT).status_code == 200
    assert "Traceback" not in target.server.logs(), target.server.logs()[-3000:]
