"""Which proxies are believed about the client's address, and 429s' Retry-After."""

from __future__ import annotations

import pytest

from app.http.retry_after import DEFAULT_RETRY_AFTER_SECONDS, retry_after
from app.server import uvicorn_config
from app.settings import Settings, SettingsError


def test_no_proxy_is_trusted_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.trusted_proxies == ()
    assert uvicorn_config(settings, "127.0.0.1", 8000).proxy_headers is False


def test_trusted_proxies_are_addresses_and_networks() -> None:
    settings = Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,fd00::/8"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7/32", "fd00::/8")
    config = uvicorn_config(settings, "127.0.0.1", 8000)
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == ["10.0.0.0/8", "192.168.1.7/32", "fd00::/8"]


@pytest.mark.parametrize("value", ["*", "gateway.internal", "10.0.0.0/33"])
def test_a_wildcard_or_a_name_is_not_a_trusted_proxy(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"TRUSTED_PROXIES": value})
    assert str(refused.value).startswith("invalid TRUSTED_PROXIES=")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], str(DEFAULT_RETRY_AFTER_SECONDS).encode()),
        ([(b"RateLimit-Reset", b"42")], b"42"),
        ([(b"ratelimit-reset", b"0")], b"1"),
        ([(b"ratelimit-reset", b"soon")], str(DEFAULT_RETRY_AFTER_SECONDS).encode()),
        ([(b"Retry-After", b"7"), (b"ratelimit-reset", b"42")], None),
    ],
)
def test_retry_after_comes_from_the_limit_reset(
    headers: list[tuple[bytes, bytes]], expected: bytes | None
) -> None:
    assert retry_after(headers) == expected
