"""Every answer says nosniff; JSON for an authenticated caller is never cached; what a
handler set itself is left alone."""

from __future__ import annotations

from typing import Any

import pytest

from app.http.response_headers import NO_STORE, NOSNIFF, add_security_headers

SIGNED_IN: dict[str, Any] = {"type": "http", "user": object()}
ANONYMOUS: dict[str, Any] = {"type": "http", "user": None}


def _headers(content_type: bytes | None, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", content_type)] if content_type is not None else []
    return headers + list(extra)


@pytest.mark.parametrize("scope", [SIGNED_IN, ANONYMOUS, {"type": "http"}])
@pytest.mark.parametrize("content_type", [b"text/html", b"application/json", None])
def test_every_answer_gets_nosniff(scope: dict[str, Any], content_type: bytes | None) -> None:
    headers = _headers(content_type)
    add_security_headers(scope, headers)
    assert headers.count(NOSNIFF) == 1


@pytest.mark.parametrize(
    "content_type",
    [
        b"application/json",
        b"application/json; charset=utf-8",
        b"Application/JSON",
        b"application/problem+json",
        b"application/vnd.washline+json ; charset=utf-8",
    ],
)
def test_json_to_a_signed_in_caller_is_not_stored(content_type: bytes) -> None:
    headers = _headers(content_type)
    add_security_headers(SIGNED_IN, headers)
    assert NO_STORE in headers


@pytest.mark.parametrize(
    "content_type",
    [b"text/html", b"text/event-stream", b"application/javascript", b"application/jsonx", None],
)
def test_other_media_types_are_left_cacheable(content_type: bytes | None) -> None:
    headers = _headers(content_type)
    add_security_headers(SIGNED_IN, headers)
    assert NO_STORE not in headers


@pytest.mark.parametrize("scope", [ANONYMOUS, {"type": "http"}])
def test_json_to_an_anonymous_caller_is_left_cacheable(scope: dict[str, Any]) -> None:
    headers = _headers(b"application/json")
    add_security_headers(scope, headers)
    assert NO_STORE not in headers


def test_headers_a_handler_set_are_kept_and_not_doubled() -> None:
    headers = _headers(
        b"application/json",
        (b"Cache-Control", b"public, max-age=60"),
        (b"X-Content-Type-Options", b"nosniff"),
    )
    add_security_headers(SIGNED_IN, headers)
    assert headers == _headers(
        b"application/json",
        (b"Cache-Control", b"public, max-age=60"),
        (b"X-Content-Type-Options", b"nosniff"),
    )


def test_the_header_names_are_lowercase_as_asgi_requires() -> None:
    for name, _ in (NOSNIFF, NO_STORE):
        assert name == name.lower()
