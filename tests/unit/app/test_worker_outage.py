"""A background worker's outage bookkeeping: the database being away is said once per
outage and its end once, the pause grows but stays capped, and a bug is never mistaken for
an outage (its traceback is logged every time)."""

from __future__ import annotations

import logging

import pytest

from app.workers.outage import WorkerOutage


def test_an_outage_warns_once_backs_off_within_its_cap_and_ends_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = WorkerOutage("relay", cap=2.0, base=0.1)
    with caplog.at_level(logging.WARNING, logger="app.workers.outage"):
        delays = [outage.failed(ConnectionRefusedError(111, "refused")) for _ in range(8)]
        assert outage.ongoing and outage.failures == 8
        outage.succeeded()
        outage.succeeded()

    assert all(0 <= delay <= 2.0 for delay in delays)
    assert max(delays[4:]) >= 1.0  # equal jitter: at least half the (capped) step
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "relay: database unavailable" in messages[0]
    assert messages[1] == "relay: resumed after 8 failed tries"
    assert not outage.ongoing and outage.outages == 1


def test_a_bug_is_logged_with_its_traceback_every_time(caplog: pytest.LogCaptureFixture) -> None:
    outage = WorkerOutage("dispatch")
    with caplog.at_level(logging.WARNING, logger="app.workers.outage"):
        for _ in range(2):
            try:
                raise KeyError("a bug")
            except KeyError as exc:
                outage.failed(exc)

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info for r in errors)
