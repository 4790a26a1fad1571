"""A client that never finishes its request headers is answered 408 and disconnected, on the
real `washline serve`, while its neighbours are served as usual (`app.http_protocol`)."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx

from domain.roles import Role
from tests.e2e.conftest import MakeAccount, StartServer
from tests.support.live import live_client

GENEROUS = 30.0
"""Far above the 1 s timeout the server runs with: only a server that never closes fails."""


def _raw(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=GENEROUS)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends before it closes; raises TimeoutError if it never does."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    sock.close()
    return received


def _assert_timed_out(received: bytes) -> None:
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), received
    assert json.loads(body)["code"] == "request_timeout"


async def test_unfinished_headers_are_cut_off_and_neighbours_are_served(
    start_server: StartServer, sqlite_url: str, make_account: MakeAccount
) -> None:
    server = start_server(sqlite_url, HTTP_HEADER_TIMEOUT_SECONDS="1")
    customer = await make_account(server, sqlite_url, Role.CUSTOMER)
    silent = _raw(server.port, b"")
    partial = _raw(server.port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    async with live_client(server.ws_url, customer.token) as neighbour_socket:
        received = await asyncio.to_thread(_read_until_closed, partial)
        _assert_timed_out(received)
        _assert_timed_out(await asyncio.to_thread(_read_until_closed, silent))
        # A WebSocket open for longer than the timeout is untouched by it.
        reply = await neighbour_socket.request("ping")
        assert (reply["type"], reply["ok"]) == ("reply", True), reply
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        assert (await client.get("/health")).status_code == 200


def _trickle(port: int) -> bytes:
    """Send one header line every 0.2 s, forever; what the server answers once it hangs up."""
    sock = _raw(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    sock.settimeout(0.2)
    received = b""
    for n in range(int(GENEROUS / 0.2)):
        try:
            sock.sendall(f"X-Trickle-{n}: 1\r\n".encode())
        except OSError:  # closed by the server while we were still sending
            break
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        received += chunk
        if not chunk:
            break
    sock.close()
    return received


async def test_a_trickle_of_header_lines_does_not_keep_a_connection(
    start_server: StartServer, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, HTTP_HEADER_TIMEOUT_SECONDS="1")
    received = await asyncio.to_thread(_trickle, server.port)
    _assert_timed_out(received)


def _second_request_stalls(port: int) -> bytes:
    """A complete request, then half of a second one on the same kept-alive connection."""
    sock = _raw(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    received = b""
    while b'"ok"' not in received:
        received += sock.recv(4096)
    sock.sendall(b"GET /health HTTP/1.1\r\nHo")
    return _read_until_closed(sock)


async def test_a_kept_alive_connection_stalling_on_its_next_request_is_cut_off(
    start_server: StartServer, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, HTTP_HEADER_TIMEOUT_SECONDS="1")
    received = await asyncio.to_thread(_second_request_stalls, server.port)
    _assert_timed_out(received)
