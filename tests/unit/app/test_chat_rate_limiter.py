"""The per-process chat limit: at most `limit` messages a window per user, and it forgets
users who stopped chatting (a long-lived process would otherwise keep every sender)."""

from __future__ import annotations

import pytest

from app.services import chat
from app.services.chat import ChatRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(chat.time, "monotonic", fake)
    return fake


def test_a_sender_over_the_limit_waits_for_the_window(clock: Clock) -> None:
    limiter = ChatRateLimiter(limit=2, window=10.0)
    assert [limiter.allow(7) for _ in range(3)] == [True, True, False]
    clock.now += 10.0
    assert limiter.allow(7)


def test_users_who_stopped_chatting_are_forgotten(clock: Clock) -> None:
    limiter = ChatRateLimiter(limit=2, window=10.0)
    for user_id in range(100):
        limiter.allow(user_id)
    assert limiter.tracked_users() == 100
    clock.now += 10.0
    assert limiter.allow(1000)
    assert limiter.tracked_users() == 1
